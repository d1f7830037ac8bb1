"""Exercise rep counting: with a pack (k-NN pose classes, smoothed over time, into a
hysteresis counter), without one (`any`: the dominant repeated movement), or `auto`
choosing between them; live frame by frame or over a recorded clip."""
