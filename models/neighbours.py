"""Nearest reference cells of a query in embedding space, with distances.

Embeddings are L2-normalised, so Euclidean distance follows from one matrix product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Neighbours:
    """Exact k-nearest-neighbour search; `fit` on reference embeddings, `kneighbors` on queries."""

    k: int = 10

    def fit(self, references: np.ndarray) -> Neighbours:
        self.references_ = np.asarray(references, np.float32)
        self.squared_norms_ = np.einsum("ij,ij->i", self.references_, self.references_)
        return self

    def kneighbors(self, queries: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices), each (n_queries, k), nearest first."""
        k = min(k or self.k, len(self.references_))
        q = np.asarray(queries, np.float32)
        d2 = np.einsum("ij,ij->i", q, q)[:, None] - 2.0 * q @ self.references_.T + self.squared_norms_[None, :]
        idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
        part = np.take_along_axis(d2, idx, axis=1)
        order = np.argsort(part, axis=1, kind="stable")
        idx = np.take_along_axis(idx, order, axis=1)
        dist = np.sqrt(np.maximum(np.take_along_axis(d2, idx, axis=1), 0.0))
        return dist, idx
