"""Triplet loss with online semi-hard mining (Schroff et al., FaceNet), in plain TensorFlow.

TensorFlow Addons, which the paper used, is end-of-life; this is a small pure
function with the same semantics, checked against a brute-force NumPy reference
in tests/models/test_losses.py.
"""

from __future__ import annotations

import tensorflow as tf


def pairwise_distances(embeddings: tf.Tensor) -> tf.Tensor:
    """Euclidean distance matrix; gradient-safe at zero distance."""
    squared = tf.reduce_sum(tf.square(embeddings), axis=1)
    d2 = squared[:, None] - 2.0 * tf.matmul(embeddings, embeddings, transpose_b=True) + squared[None, :]
    d2 = tf.maximum(d2, 0.0)
    zero = tf.cast(tf.equal(d2, 0.0), d2.dtype)
    distances = tf.sqrt(d2 + zero * 1e-16) * (1.0 - zero)
    return tf.linalg.set_diag(distances, tf.zeros(tf.shape(distances)[0], distances.dtype))


def triplet_semihard_loss(labels: tf.Tensor, embeddings: tf.Tensor, margin: float = 0.5) -> tf.Tensor:
    """Mean over all anchor-positive pairs of max(d(a,p) - d(a,n) + margin, 0).

    For each pair the negative n is the closest one farther than the positive
    (semi-hard); if no negative is farther, the farthest negative is used, as in
    TensorFlow Addons' `triplet_semihard_loss`.
    """
    labels = tf.reshape(labels, [-1])
    embeddings = tf.cast(embeddings, tf.float32)
    dist = pairwise_distances(embeddings)
    same = tf.equal(labels[:, None], labels[None, :])
    negative = tf.logical_not(same)
    n = tf.shape(labels)[0]
    positive = tf.logical_and(same, tf.logical_not(tf.eye(n, dtype=tf.bool)))

    # d_an[a, n] compared with d_ap[a, p]: shape (a, p, n)
    d_ap = dist[:, :, None]
    d_an = dist[:, None, :]
    semihard = tf.logical_and(negative[:, None, :], d_an > d_ap)
    big = tf.reduce_max(dist) + 1.0
    closest_semihard = tf.reduce_min(tf.where(semihard, d_an, big), axis=2)
    has_semihard = tf.reduce_any(semihard, axis=2)
    farthest_negative = tf.reduce_max(tf.where(negative, dist, -1.0), axis=1)[:, None]
    d_neg = tf.where(has_semihard, closest_semihard, tf.broadcast_to(farthest_negative, tf.shape(closest_semihard)))

    losses = tf.maximum(dist - d_neg + margin, 0.0)
    mask = tf.cast(positive, tf.float32)
    return tf.reduce_sum(losses * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)
