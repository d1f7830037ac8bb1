"""Exercise rep counting: k-NN pose classes, smoothed over time, into a hysteresis counter."""
