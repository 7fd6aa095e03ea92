"""The morphological landscape: a t-SNE map of the reference embeddings that new cells are placed onto.

Follows openTSNE: `fit` computes the reference map (PCA initialisation, perplexity 30,
1000 iterations, Euclidean); `transform` places queries onto the existing map
without moving the reference points, like `TSNEEmbedding.transform`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Landscape:
    perplexity: float = 30.0
    n_iter: int = 1000
    random_state: int = 0
    n_jobs: int = 1

    def fit(self, embeddings: np.ndarray) -> Landscape:
        import openTSNE

        self.references_ = np.asarray(embeddings, np.float32)
        tsne = openTSNE.TSNE(
            perplexity=self.perplexity,
            n_iter=self.n_iter,
            initialization="pca",
            metric="euclidean",
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            verbose=False,
        )
        self._embedding = tsne.fit(self.references_)
        self.coordinates_ = np.asarray(self._embedding, np.float32)
        return self

    @classmethod
    def from_map(cls, references: np.ndarray, coordinates: np.ndarray, **params: float) -> Landscape:
        """Rebuild a fitted landscape from stored reference embeddings and their map coordinates."""
        landscape = cls(**params)  # type: ignore[arg-type]
        landscape.references_ = np.asarray(references, np.float32)
        landscape.coordinates_ = np.asarray(coordinates, np.float32)
        landscape._embedding = None
        return landscape

    def transform(self, queries: np.ndarray) -> np.ndarray:
        """(n, 2) map coordinates of the queries; the reference map stays as it is."""
        embedding = self._tsne_embedding()
        placed = embedding.transform(np.asarray(queries, np.float32), perplexity=5, n_iter=100)
        return np.asarray(placed, np.float32)

    def _tsne_embedding(self):  # type: ignore[no-untyped-def]
        if self._embedding is None:
            import openTSNE

            affinities = openTSNE.affinity.PerplexityBasedNN(
                self.references_,
                perplexity=min(self.perplexity, (len(self.references_) - 1) / 3),
                metric="euclidean",
                n_jobs=self.n_jobs,
                random_state=self.random_state,
                verbose=False,
            )
            self._embedding = openTSNE.TSNEEmbedding(
                self.coordinates_.astype(np.float64),
                affinities,
                random_state=self.random_state,
                verbose=False,
            )
        return self._embedding
