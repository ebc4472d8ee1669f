"""Seeded noise: one generator in NumPy and in a SavedModel's graph, with the statistics of standard normal noise."""

import numpy as np
import pytest

from keras_animegan.utils import noise


def test_a_seed_draws_the_same_noise_in_numpy_and_in_a_tensorflow_graph():
    tf = pytest.importorskip("tensorflow")
    from keras_animegan.export.saved_model import seeded_noise_tf

    graph = tf.function(lambda count, seed: seeded_noise_tf(count, seed, 7))
    for seed in (0, 1, 3, 12345, 2**31 - 1, -1, -7):
        here = noise.standard_normal(seed, (5, 7))
        there = graph(tf.constant(5, tf.int32), tf.constant(seed, tf.int32)).numpy()
        assert there.dtype == np.float32 and there.shape == (5, 7)
        np.testing.assert_allclose(there, here, atol=1e-6, err_msg=f"seed {seed}")
    assert graph(tf.constant(0, tf.int32), tf.constant(1, tf.int32)).numpy().shape == (0, 7)


def test_the_noise_is_standard_normal_and_each_seed_its_own():
    z = noise.standard_normal(3, (4000, 50))
    assert z.dtype == np.float32 and z.shape == (4000, 50)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    # Tails and shape: the share beyond 1 and 2 standard deviations (0.3173, 0.0455).
    assert abs(np.mean(np.abs(z) > 1) - 0.3173) < 0.005 and abs(np.mean(np.abs(z) > 2) - 0.0455) < 0.003
    # No correlation between dimensions or between neighbouring rows.
    assert np.abs(np.corrcoef(z[:, :10].T) - np.eye(10)).max() < 0.06
    assert abs(np.corrcoef(z[:-1].ravel(), z[1:].ravel())[0, 1]) < 0.02
    # A seed gives the same noise again, another seed other noise, and a row does not depend on the count.
    np.testing.assert_array_equal(noise.standard_normal(3, (4000, 50)), z)
    assert abs(np.corrcoef(noise.standard_normal(4, (4000, 50)).ravel(), z.ravel())[0, 1]) < 0.01
    np.testing.assert_array_equal(noise.standard_normal(3, (2, 50)), z[:2])
    # Seeds are taken modulo 2**32 (a SavedModel's int32 seed -1 is 2**32 - 1).
    np.testing.assert_array_equal(noise.standard_normal(-1, (2, 3)), noise.standard_normal(2**32 - 1, (2, 3)))
    # No seed: fresh noise each call.
    fresh = noise.standard_normal(None, (2, 50))
    assert fresh.dtype == np.float32 and not np.array_equal(fresh, noise.standard_normal(None, (2, 50)))
