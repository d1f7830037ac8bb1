"""Dance-genre LSTM: train on AIST++ keypoints, export to TFLite, measure, write models/dance/.

Method of the AIST Dance DB paper (Tsuchida et al., ISMIR 2019): windows of K units of pooled
body features (edge.features.dance), an LSTM against a linear baseline, K in 2..32. The
standardisation is a Normalization layer inside the model, so the Pi feeds StreamingFeatures'
raw (k, 252) windows. Both TFLite files take and give float32 and load in ai-edge-litert and
tflite-runtime 2.14, so the edge needs no quantization arithmetic of its own.

One module a job: `windows` (sequences -> (n, k, 252) windows and splits), `model` (the
Keras LSTM, its training, the linear baseline), `export` (TFLite float32 / int8, LiteRT
runs), `evaluate` (every K on a held-out split), `report` (docs/bench/dance.md and its
confusion plot), `release` (the shipped model folder), `cli` (`python -m training.dance`).

  python -m training.dance evaluate --data ../shared/data/aistpp_small --out docs/bench/dance.md
  python -m training.dance train --data ../shared/data/aistpp_small --k 8 --out models/dance

The full 10-genre model, from the official AIST++ release (keypoints2d/<seq>.pkl, camera view
0) and its split lists (crossmodal_train.txt, crossmodal_test.txt, ignore_list.txt in one dir):

  python -m training.dance train --data aist_plusplus_final --splits SPLITS_DIR --k 8 \\
      --out models/dance
"""
