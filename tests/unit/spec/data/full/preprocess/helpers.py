"""Feature extraction shared by the preprocess model."""

import numpy as np


def featurize(raw: bytes) -> np.ndarray:
    words = raw.decode("utf-8").split()[:4]
    lengths = [len(w) for w in words] + [0] * (4 - len(words))
    return np.asarray(lengths, dtype=np.float32)
