"""The Keras model: standardisation, an unrolled LSTM, a softmax; its training; the baseline.

The LSTM is unrolled: TF 2.21 cannot convert the loop form (or crashes calibrating it for
int8). It is unrolled by UnrolledLSTM, not keras.layers.LSTM(unroll=True): see there why.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from training.dance.windows import DIMS

NORM = "standardise"  # the layer export.to_tflite keeps float in the int8 model


class UnrolledLSTM(keras.layers.Layer):
    """keras.layers.LSTM(unroll=True) with a first step that computes no forget gate.

    The state starts at zero, so the converter folds the first step's forget gate times
    carry away, and keras' fused cell leaves that gate as an unused output of the step's
    SPLIT. TFLite's int8 quantizer (mlir_quantize, TF 2.21) then decides that tensor's
    scale in an order that changes from call to call: about one export in five kept the
    first SPLIT float (DEQUANTIZE, SPLIT, QUANTIZE: 11 float tensors instead of 6) with the
    same weights and calibration. The first step here takes only the gates it uses
    (input, cell, output) by slicing, so no op has an unused output; later steps are
    keras' LSTMCell. Same weights (one LSTMCell's), same outputs as keras.layers.LSTM.
    """

    def __init__(self, units: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.cell = keras.layers.LSTMCell(units, name="cell")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.cell.build((input_shape[0], input_shape[-1]))

    def call(self, sequence: tf.Tensor) -> tf.Tensor:
        steps = ops.unstack(sequence, axis=1)
        cell, u = self.cell, self.units
        z = ops.add(ops.matmul(steps[0], cell.kernel), cell.bias)  # h, c = 0: no h term
        gate, act = cell.recurrent_activation, cell.activation
        c = gate(z[:, :u]) * act(z[:, 2 * u : 3 * u])  # i * g (f * c is 0)
        h = gate(z[:, 3 * u :]) * act(c)
        for step in steps[1:]:
            h, (h, c) = cell(step, [h, c])
        return h


def build_lstm(
    k: int, n_genres: int, units: int = 64, train_windows: np.ndarray | None = None
) -> keras.Model:
    """Raw (k, 252) window -> genre probabilities; the standardisation adapts on train_windows."""
    norm = keras.layers.Normalization(axis=-1, name=NORM)
    if train_windows is not None:
        norm.adapt(np.asarray(train_windows, np.float32).reshape(-1, DIMS))
    inputs = keras.Input((k, DIMS), name="window")
    x = UnrolledLSTM(units, name="lstm")(norm(inputs))
    outputs = keras.layers.Dense(n_genres, "softmax", name="genre")(keras.layers.Dropout(0.3)(x))
    return keras.Model(inputs, outputs, name=f"dance_lstm_k{k}")


def train_lstm(
    train_windows: np.ndarray, train_labels: np.ndarray, val_windows: np.ndarray,
    val_labels: np.ndarray, k: int, n_genres: int, epochs: int = 80, seed: int = 0,
) -> keras.Model:  # fmt: skip
    """Adam, early stopping on validation loss (best weights kept); same seed, same model.

    Genres are weighted by the inverse of their window count (each genre weighs the same in
    the loss): a studio's folder is rarely balanced (ballroom: 17 waltz clips, 3 chacha),
    and unweighted the rare genre lost to the common one on its held-out clip.
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_lstm(k, n_genres, train_windows=train_windows)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    model.fit(
        train_windows, train_labels, validation_data=(val_windows, val_labels), epochs=epochs,
        batch_size=32, callbacks=[stop], verbose=0, class_weight=balanced_weights(train_labels),
    )  # fmt: skip
    return model


def balanced_weights(labels: np.ndarray) -> dict[int, float]:
    """Genre index -> n / (genres x its windows), sklearn's "balanced" rule."""
    present, counts = np.unique(labels, return_counts=True)
    return {
        int(g): len(labels) / (len(present) * int(c)) for g, c in zip(present, counts, strict=True)
    }


def baseline(train_windows_flat: np.ndarray, labels: np.ndarray) -> Pipeline:
    """Standardised logistic regression on flattened windows: the paper's linear reference."""
    x = np.asarray(train_windows_flat, np.float32).reshape(len(train_windows_flat), -1)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(x, labels)
