import itertools

import numpy as np
import pytest
import tensorflow as tf

from hemosight.ml.losses import pairwise_distances, triplet_semihard_loss


def reference_semihard(labels: np.ndarray, embeddings: np.ndarray, margin: float) -> float:
    """Brute force over every (anchor, positive) pair, straight from the definition."""
    n = len(labels)
    dist = np.sqrt(((embeddings[:, None, :] - embeddings[None, :, :]) ** 2).sum(-1))
    losses = []
    for a, p in itertools.permutations(range(n), 2):
        if labels[a] != labels[p]:
            continue
        negatives = [j for j in range(n) if labels[j] != labels[a]]
        farther = [dist[a, j] for j in negatives if dist[a, j] > dist[a, p]]
        d_neg = min(farther) if farther else max(dist[a, j] for j in negatives)
        losses.append(max(dist[a, p] - d_neg + margin, 0.0))
    return float(np.mean(losses)) if losses else 0.0


@pytest.mark.parametrize("seed", range(6))
def test_semihard_loss_matches_bruteforce(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, dim, classes = 12, 5, 3 + seed % 3
    labels = rng.integers(0, classes, n)
    embeddings = rng.normal(size=(n, dim)).astype(np.float32)
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)
    got = float(triplet_semihard_loss(tf.constant(labels), tf.constant(embeddings), margin=0.5))
    assert got == pytest.approx(reference_semihard(labels, embeddings, 0.5), rel=1e-4, abs=1e-5)


def test_views_of_one_image_pull_together() -> None:
    """Two views per image, ids as labels: identical views with far negatives give zero loss."""
    base = np.eye(4, dtype=np.float32)
    embeddings = np.concatenate([base, base])
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3])
    assert float(triplet_semihard_loss(tf.constant(labels), tf.constant(embeddings), 0.5)) == pytest.approx(0.0)
    collapsed = np.ones((8, 4), np.float32) / 2
    assert float(triplet_semihard_loss(tf.constant(labels), tf.constant(collapsed), 0.5)) == pytest.approx(0.5)


def test_pairwise_distances_have_finite_gradient_at_zero() -> None:
    x = tf.Variable(np.ones((3, 4), np.float32))
    with tf.GradientTape() as tape:
        d = tf.reduce_sum(pairwise_distances(x))
    grad = tape.gradient(d, x)
    assert np.all(np.isfinite(grad.numpy()))
