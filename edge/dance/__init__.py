"""Dance genre classification on the device: streaming windows -> TFLite LSTM."""
