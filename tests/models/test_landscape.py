import numpy as np

from hemosight.ml.landscape import Landscape


def clusters(seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 5, (3, 10))
    x = np.concatenate([c + rng.normal(0, 0.5, (60, 10)) for c in centres]).astype(np.float32)
    return x, np.repeat([0, 1, 2], 60)


def test_fit_gives_two_coordinates_per_reference_and_is_deterministic() -> None:
    x, _ = clusters()
    a = Landscape(n_iter=250).fit(x).coordinates_
    b = Landscape(n_iter=250).fit(x).coordinates_
    assert a.shape == (len(x), 2)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_transform_places_queries_in_their_cluster_without_moving_the_map() -> None:
    x, y = clusters()
    landscape = Landscape(n_iter=250).fit(x)
    before = landscape.coordinates_.copy()
    rebuilt = Landscape.from_map(x, landscape.coordinates_)
    queries, truth = clusters(seed=0)
    placed = rebuilt.transform(queries[::20] + 0.05)
    np.testing.assert_array_equal(rebuilt.coordinates_, before)
    centroids = np.stack([before[y == c].mean(axis=0) for c in range(3)])
    nearest = np.argmin(np.linalg.norm(placed[:, None] - centroids[None], axis=2), axis=1)
    assert np.mean(nearest == truth[::20]) == 1.0
