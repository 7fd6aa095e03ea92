"""The morphological landscape: a t-SNE map of the reference embeddings that new cells are placed onto.

Follows openTSNE: `fit` computes the reference map (PCA initialisation, perplexity 30,
1000 iterations, Euclidean); `transform` places queries onto the existing map
without moving the reference points, like `TSNEEmbedding.transform`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


class NeighbourSearch(Protocol):
    def kneighbors(self, queries: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class Landscape:
    perplexity: float = 30.0
    n_iter: int = 1000
    random_state: int = 0
    n_jobs: int = 1
    #: neighbour search over the references, shared with the bundle's index when it has one
    _search: NeighbourSearch | None = field(default=None, init=False, repr=False, compare=False)

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
    def from_map(
        cls, references: np.ndarray, coordinates: np.ndarray, search: NeighbourSearch | None = None, **params: float
    ) -> Landscape:
        """Rebuild a fitted landscape from stored reference embeddings and their map coordinates.

        `search`: a neighbour search already built over `references` (the bundle's index), so the
        landscape does not hold a second copy; by default an exact one is built on first use.
        """
        landscape = cls(**params)  # type: ignore[arg-type]
        landscape.references_ = np.asarray(references, np.float32)
        landscape.coordinates_ = np.asarray(coordinates, np.float32)
        landscape._embedding = None
        landscape._search = search
        return landscape

    def transform(self, queries: np.ndarray, n_iter: int = 0, k: int = 10, **settings: float | str) -> np.ndarray:
        """(n, 2) map coordinates of the queries; the reference map stays as it is.

        By default each query goes to the median map position of its `k` nearest reference
        cells (openTSNE's `median` initialisation) with no gradient steps: on a 15,000-point
        map each step costs ~0.15 s and the steps did not place cells closer to their
        embedding-space neighbours nor more often into their own cell type's cluster
        (benchmarks/bench_landscape.py). `n_iter > 0` runs openTSNE's `transform` instead.
        """
        queries = np.asarray(queries, np.float32)
        if n_iter == 0 and settings.get("initialization", "median") == "median":
            _, neighbours = self._query_affinities().search.kneighbors(queries, k)
            return np.median(self.coordinates_[neighbours], axis=1).astype(np.float32)
        embedding = self._tsne_embedding()
        placed = embedding.transform(queries, perplexity=5, n_iter=n_iter, k=k, **settings)
        return np.asarray(placed, np.float32)

    def _query_affinities(self) -> QueryAffinities:
        if getattr(self, "_affinities", None) is None:
            self._affinities = QueryAffinities(self.references_, self._search)
        return self._affinities

    def _tsne_embedding(self):
        if self._embedding is None:
            import openTSNE

            self._embedding = openTSNE.TSNEEmbedding(
                self.coordinates_.astype(np.float64),
                self._query_affinities(),
                random_state=self.random_state,
                verbose=False,
            )
        return self._embedding


class QueryAffinities:
    """Affinities of new cells to the reference cells, for openTSNE's `transform` only.

    openTSNE rebuilds the reference kNN graph (`PerplexityBasedNN`, every reference's 90
    neighbours) before it can place anything — minutes on a 15,000-cell map. Placing new
    cells needs only each query's neighbours among the references, so this asks the exact
    neighbour search for those and computes the same point-wise perplexity-calibrated
    affinities openTSNE would.
    """

    def __init__(self, references: np.ndarray, search: NeighbourSearch | None = None) -> None:
        import scipy.sparse

        from hemosight.ml.neighbours import Neighbours

        # no reference-to-reference affinities: the map is fixed, only its shape is checked
        self.P = scipy.sparse.csr_matrix((len(references), len(references)), dtype=np.float64)
        self.verbose = False
        self.n_samples = len(references)
        self.search: NeighbourSearch = search if search is not None else Neighbours().fit(references)

    def to_new(
        self, data: np.ndarray, perplexity: float = 5, return_distances: bool = False, k_neighbors: int | str = "auto"
    ):
        from openTSNE.affinity import joint_probabilities_nn

        # at least 25: openTSNE's `median`/`weighted` placement looks at up to 25 neighbours
        k = min(self.n_samples, max(int(3 * perplexity), 25) if k_neighbors == "auto" else int(k_neighbors))
        distances, neighbours = self.search.kneighbors(data, k)
        P = joint_probabilities_nn(
            neighbours,
            distances.astype(np.float64),
            [min(perplexity, (k - 1) / 3)],
            symmetrize=False,
            normalization="point-wise",
            n_reference_samples=self.n_samples,
        )
        return (P, neighbours, distances) if return_distances else P
