"""FID / KID against straightforward reference implementations (scipy's sqrtm, explicit MMD loops)."""

import keras
import numpy as np
import pytest
import scipy.linalg

from keras_animegan import metrics


def reference_fid(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s_a @ s_b).real
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b - 2 * root))


def reference_mmd(x, y):
    d = x.shape[1]
    k = lambda u, v: (u @ v / d + 1) ** 3  # noqa: E731
    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


@pytest.fixture(scope="module")
def sets():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 8))
    b = rng.normal(size=(150, 8)) * 1.5 + 0.7
    return a, b


def test_fid_matches_reference_and_orders_sets(sets):
    a, b = sets
    assert metrics.fid_from_activations(a, b) == pytest.approx(reference_fid(a, b), rel=1e-6)
    assert metrics.fid_from_activations(a, a) == pytest.approx(0.0, abs=1e-8)
    near = a + 0.1
    assert metrics.fid_from_activations(a, near) < metrics.fid_from_activations(a, b)


def test_fid_is_stable_with_fewer_samples_than_dimensions():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(10, 32)), rng.normal(size=(12, 32))
    value = metrics.fid_from_activations(a, b)
    assert np.isfinite(value) and value >= 0


def test_kid_matches_reference_and_orders_sets(sets):
    a, b = sets
    x, y = a[:20], b[:20]
    mean, std = metrics.kid_from_activations(x, y, num_subsets=1, subset_size=20)
    assert mean == pytest.approx(reference_mmd(x, y), rel=1e-9) and std == 0.0
    same_mean, _ = metrics.kid_from_activations(a, a.copy(), num_subsets=20, subset_size=50)
    far_mean, far_std = metrics.kid_from_activations(a, b, num_subsets=20, subset_size=50)
    assert far_mean > 0 and far_std > 0
    assert abs(same_mean) < 0.05 * far_mean  # unbiased: about zero (it can be slightly negative)
    rng = np.random.default_rng(2)
    same_dist, _ = metrics.kid_from_activations(rng.normal(size=(300, 8)), rng.normal(size=(300, 8)),
                                                num_subsets=20, subset_size=100)
    assert abs(same_dist) < 0.05 * far_mean


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="same d"):
        metrics.fid_from_activations(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2"):
        metrics.kid_from_activations(np.zeros((1, 3)), np.zeros((5, 3)))


def test_image_level_metrics_use_the_given_feature_network():
    rng = np.random.default_rng(3)
    features = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.GlobalAveragePooling2D()])
    dark = rng.uniform(-1, -0.5, size=(40, 8, 8, 3)).astype(np.float32)
    light = rng.uniform(0.5, 1, size=(40, 8, 8, 3)).astype(np.float32)
    assert metrics.fid(dark, dark, features) == pytest.approx(0.0, abs=1e-6)
    assert metrics.fid(dark, light, features) > 1.0
    assert metrics.kid(dark, light, features, num_subsets=5, subset_size=20)[0] > \
        metrics.kid(dark, dark[::-1].copy(), features, num_subsets=5, subset_size=20)[0]


def test_kid_std_is_positive_on_random_data():
    """Subsets smaller than the sets differ, so the std over them is positive (it was 0 at the trainers' defaults)."""
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 8)), rng.normal(0.3, 1.0, size=(40, 8))
    for subset_size in (20, 40, 1000):  # 40 and 1000: as large as the sets, or larger
        mean, std = metrics.kid_from_activations(x, y, num_subsets=10, subset_size=subset_size)
        assert np.isfinite(mean) and std > 0, subset_size
