"""Nearest reference cells of a query in embedding space, with distances.

Embeddings are L2-normalised, so Euclidean distance follows from one matrix product.
A lab's reference set (thousands of cells) is searched exactly with that product; a
hospital's (up to millions) would cost a full pass over gigabytes per query, so above
`EXACT_LIMIT` cells `NeighbourIndex` switches to a FAISS HNSW graph, which reads only a
few thousand vectors per query. Numbers behind the limit and the graph parameters:
benchmarks/RESULTS.md, "Neighbour search".
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

# Exact search is never wrong and, for one query, costs a pass over every reference embedding: measured p50 on
# the shared 2-core machine 1.2-1.9 ms at 4,096 cells, 3.1-7.5 ms at 8,192, 6-14 ms at 16,384, 36-76 ms at 100k
# (benchmarks/bench_neighbours.py). Rule: the largest size whose exact p50 stays within half the 10 ms budget,
# taken from the loaded runs, since a worker shares its cores with the encoder.
EXACT_LIMIT = 4_096

Storage = Literal["flat", "sq8"]


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


class NeighbourIndex:
    """A reference set that grows by `add` and answers `kneighbors` fast at any size.

    Below `threshold` cells the search is exact (`Neighbours`), so a lab's results are the
    same as ever. When an `add` takes the set to `threshold` or more, every cell so far goes
    into an HNSW graph (FAISS) and later adds extend the graph: an HNSW graph needs no
    training pass and no rebuild as the set grows, unlike inverted lists whose centroids
    would be fitted to the first cells only. Indices are insertion order, i.e. reference rows.

    `m` (graph degree) and `ef_construction` set build time and memory against the graph's
    quality. `ef_construction` is 160, not FAISS's 40, because the graph grows by many `add`
    calls: on PBC-derived embeddings (60k cells added 8,192 at a time) 40 left recall@10 stuck at
    0.90 whatever `ef_search`, 160 gave 0.9997 for 2.3x the build time (0.997 at 300k); one `add`
    of everything reaches 0.9997 with 40. Grown by adds to 1M, even 160 gave only 0.81, so the graph
    is rebuilt by one `add` of every cell whenever the set has grown `rebuild_factor` (2) times
    since the last build: at most half of the graph is ever made by incremental adds, and the
    rebuilds cost at most as much again as one build of the final set (benchmarks/RESULTS.md).
    `ef_search` (candidates kept per query) sets latency against recall
    and can be changed at any time; 256 gave recall@10 0.967 at p50 0.9 ms / p99 3.8 ms among
    1M cells (one `add`, ef_construction 40; 192 was the fastest setting reaching 0.95), most
    of the 10 ms budget left spare.
    `storage="sq8"` keeps vectors as 8-bit codes (4x less memory, fitted to the cells present
    when the graph is started) at some recall cost.
    """

    def __init__(
        self,
        threshold: int = EXACT_LIMIT,
        m: int = 32,
        ef_construction: int = 160,
        ef_search: int = 256,
        storage: Storage = "flat",
        k: int = 10,
        rebuild_factor: float = 2.0,
    ) -> None:
        self.threshold = threshold
        self.m = m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.storage = storage
        self.k = k
        self.rebuild_factor = rebuild_factor
        self.built_size_ = 0  # cells in the graph when it was last built by one `add`
        self.dim_: int | None = None
        self.graph_: Any = None  # faiss.IndexHNSW once the set reached `threshold`
        self._chunks: list[np.ndarray] = []  # exact mode: embeddings as added, joined on the next search
        self._exact: Neighbours | None = None

    def __len__(self) -> int:
        if self.graph_ is not None:
            return int(self.graph_.ntotal)
        return sum(len(c) for c in self._chunks)

    @property
    def approximate(self) -> bool:
        """True once the set is large enough to be searched through the HNSW graph."""
        return self.graph_ is not None

    def params(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "m": self.m,
            "ef_construction": self.ef_construction,
            "ef_search": self.ef_search,
            "storage": self.storage,
            "k": self.k,
            "rebuild_factor": self.rebuild_factor,
        }

    def add(self, embeddings: np.ndarray) -> NeighbourIndex:
        """Append reference cells (rows of L2-normalised embeddings); their indices follow the existing ones."""
        x = np.ascontiguousarray(embeddings, np.float32)
        if x.ndim != 2 or (self.dim_ is not None and x.shape[1] != self.dim_):
            raise ValueError(f"Expected embeddings of shape (n, {self.dim_ or 'dim'}), got {x.shape}.")
        self.dim_ = x.shape[1]
        if self.graph_ is not None and len(self) + len(x) < self.rebuild_factor * self.built_size_:
            self.graph_.add(x)
        elif self.graph_ is not None:
            self._build(np.concatenate([self.graph_.reconstruct_n(0, len(self)), x]))
        elif len(self) + len(x) >= self.threshold:
            self._build(np.concatenate([*self._chunks, x]) if self._chunks else x)
            self._chunks, self._exact = [], None
        else:
            self._chunks.append(x.copy())
            self._exact = None
        return self

    def kneighbors(self, queries: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(distances, indices), each (n_queries, k), nearest first; k is capped at the set's size."""
        k = min(k or self.k, len(self))
        if k == 0:
            raise ValueError("The neighbour index is empty; add reference cells before searching it.")
        q = np.ascontiguousarray(queries, np.float32)
        if self.graph_ is None:
            if self._exact is None:
                self._exact = Neighbours(self.k).fit(np.concatenate(self._chunks))
            return self._exact.kneighbors(q, k)
        self.graph_.hnsw.efSearch = max(self.ef_search, k)
        squared, idx = self.graph_.search(q, k)
        return np.sqrt(np.maximum(squared, 0.0)), idx.astype(np.int64)

    def _build(self, everything: np.ndarray) -> None:
        """A new graph from every cell in one `add`: the quality incremental adds cannot keep at scale."""
        graph = self._new_graph(everything)
        graph.add(everything)
        self.graph_, self.built_size_ = graph, len(everything)

    def _new_graph(self, first: np.ndarray) -> Any:
        import faiss

        graph: Any
        if self.storage == "sq8":
            graph = faiss.IndexHNSWSQ(first.shape[1], faiss.ScalarQuantizer.QT_8bit, self.m)  # type: ignore[arg-type]
            graph.train(first)
        else:
            graph = faiss.IndexHNSWFlat(first.shape[1], self.m)
        graph.hnsw.efConstruction = self.ef_construction
        return graph

    # --- persistence: an npz of arrays (no pickle), the graph in FAISS's own serialisation -------------
    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {"params": np.asarray(json.dumps(self.params()))}
        if self.graph_ is not None:
            import faiss

            arrays["graph"] = faiss.serialize_index(self.graph_)
            arrays["built_size"] = np.asarray(self.built_size_)
        else:
            arrays["embeddings"] = (
                np.concatenate(self._chunks) if self._chunks else np.zeros((0, self.dim_ or 0), np.float32)
            )
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> NeighbourIndex:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        index = cls(**json.loads(str(arrays["params"])))
        if "graph" in arrays.files:
            import faiss

            index.graph_ = faiss.deserialize_index(arrays["graph"])
            index.dim_ = int(index.graph_.d)
            index.built_size_ = int(arrays["built_size"]) if "built_size" in arrays.files else len(index)
        elif len(arrays["embeddings"]):
            index.add(arrays["embeddings"])
        return index

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.write_bytes(self.to_bytes())
        return path

    @classmethod
    def load(cls, path: Path) -> NeighbourIndex:
        return cls.from_bytes(Path(path).read_bytes())
