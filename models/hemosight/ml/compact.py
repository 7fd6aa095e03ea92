"""Compact, exactly reproducible storage of embeddings: int8 per row with a power-of-two scale.

A bundle ships its classifiers' support set (12,000+ cells × 1,280 dimensions) so that a worker's
refit starts from exactly the cells the classifiers rest on. As float16 that is 31 MB, which
pushed a bundle over its 40 MB budget; as int8 it is half. Two properties matter more than the
last bit of precision (cosine to the float32 embedding stays ≥ 0.999):

- the rounding of a row depends on that row alone, so the builder can round any matrix before
  fitting and the fitted classifier sees exactly the values a worker later reads back;
- rounding is idempotent and exact: the scale is a power of two, so ``q * scale`` is exact in
  float32 and rounding an already rounded row returns it bit for bit.
"""

from __future__ import annotations

import numpy as np


def encode_rows(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 codes, int8 base-2 exponents per row) such that ``codes * 2**exponent`` approximates each row."""
    x = np.asarray(embeddings, np.float32)
    peak = np.max(np.abs(x), axis=1) if x.size else np.zeros(len(x), np.float32)
    exponent = np.ceil(np.log2(np.maximum(peak, np.float32(1e-30)) / 127.0)).astype(np.int8)
    scale = np.ldexp(np.float32(1.0), exponent.astype(np.int32))[:, None].astype(np.float32)
    codes = np.clip(np.rint(x / scale), -127, 127).astype(np.int8)
    return codes, exponent


def decode_rows(codes: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """The float32 rows that `encode_rows` stands for."""
    scale = np.ldexp(np.float32(1.0), np.asarray(exponent, np.int32))[:, None].astype(np.float32)
    return np.asarray(codes, np.float32) * scale


def round_rows(embeddings: np.ndarray) -> np.ndarray:
    """The values a bundle will store for these rows (what classifiers must be fitted on)."""
    return decode_rows(*encode_rows(embeddings))
