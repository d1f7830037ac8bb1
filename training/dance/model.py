"""The Keras model: standardisation, an unrolled LSTM, a softmax; its training; the baseline.

The LSTM is unrolled: TF 2.21 cannot convert the loop form (or crashes calibrating it for
int8).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from training.dance.windows import DIMS

NORM = "standardise"  # the layer export.to_tflite keeps float in the int8 model


def build_lstm(
    k: int, n_genres: int, units: int = 64, train_windows: np.ndarray | None = None
) -> keras.Model:
    """Raw (k, 252) window -> genre probabilities; the standardisation adapts on train_windows."""
    norm = keras.layers.Normalization(axis=-1, name=NORM)
    if train_windows is not None:
        norm.adapt(np.asarray(train_windows, np.float32).reshape(-1, DIMS))
    inputs = keras.Input((k, DIMS), name="window")
    x = keras.layers.LSTM(units, unroll=True, name="lstm")(norm(inputs))
    outputs = keras.layers.Dense(n_genres, "softmax", name="genre")(keras.layers.Dropout(0.3)(x))
    return keras.Model(inputs, outputs, name=f"dance_lstm_k{k}")


def train_lstm(
    train_windows: np.ndarray, train_labels: np.ndarray, val_windows: np.ndarray,
    val_labels: np.ndarray, k: int, n_genres: int, epochs: int = 80, seed: int = 0,
) -> keras.Model:  # fmt: skip
    """Adam, early stopping on validation loss (best weights kept); same seed, same model."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_lstm(k, n_genres, train_windows=train_windows)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    stop = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)
    model.fit(
        train_windows, train_labels, validation_data=(val_windows, val_labels), epochs=epochs,
        batch_size=32, callbacks=[stop], verbose=0,
    )  # fmt: skip
    return model


def baseline(train_windows_flat: np.ndarray, labels: np.ndarray) -> Pipeline:
    """Standardised logistic regression on flattened windows: the paper's linear reference."""
    x = np.asarray(train_windows_flat, np.float32).reshape(len(train_windows_flat), -1)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)).fit(x, labels)
