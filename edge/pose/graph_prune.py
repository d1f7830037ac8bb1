"""Drop the outputs of a TFLite model that nobody reads, and every op only they need.

The BlazePose landmark models also compute a 256x256 segmentation mask, a decoder of its
own, which the pose pipeline never reads; the interpreter runs every op in the graph
whatever is read. Without that branch the full model's invoke takes 8 ms instead of 14
on one core (docs/bench/people_speed.md) and its other outputs are the same to the bit:
the ops kept are the same ops on the same inputs.

The model is rewritten in memory when it is loaded (0.25 s), through the FlatBuffers
object API of the TFLite schema that ai-edge-litert ships; the files on disk stay the ones
`make models` checked. Without that module (tflite-runtime alone) the model runs whole.
"""

from __future__ import annotations

from collections.abc import Callable

Shape = tuple[int, ...]


def drop_outputs(model: bytes, unused: Callable[[Shape], bool]) -> bytes:
    """`model` without the outputs whose shape `unused` accepts, nor the ops that feed
    only them; `model` itself when nothing is dropped or the schema is not installed."""
    try:
        import flatbuffers
        from ai_edge_litert import schema_py_generated as schema
    except ImportError:
        return model
    tree = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)
    if len(tree.subgraphs) != 1:
        return model  # control flow: leave it alone
    graph = tree.subgraphs[0]
    keep = [o for o in graph.outputs if not unused(tuple(int(d) for d in graph.tensors[o].shape))]
    if len(keep) == len(graph.outputs):
        return model
    producer = {tensor: index for index, op in enumerate(graph.operators) for tensor in op.outputs}
    needed: set[int] = set()
    pending, seen = list(keep), set()
    while pending:
        tensor = pending.pop()
        if tensor < 0 or tensor in seen:  # -1: an optional input left out
            continue
        seen.add(tensor)
        index = producer.get(tensor)
        if index is not None and index not in needed:
            needed.add(index)
            pending.extend(graph.operators[index].inputs)
    graph.operators = [op for index, op in enumerate(graph.operators) if index in needed]
    graph.outputs = keep
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(tree.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
