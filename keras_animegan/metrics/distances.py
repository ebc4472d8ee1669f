"""FID and KID between sets of activations, and of image sets through a feature network passed in.

The math takes activations `(n, d)` (TF-GAN's split: the feature network is the
caller's, never downloaded here). NumPy, float64.

Reference:
    Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a
    Local Nash Equilibrium" (FID), NeurIPS 2017; Binkowski et al.,
    "Demystifying MMD GANs" (KID), ICLR 2018.
"""

import keras
import numpy as np


def _check(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"Activations must be (n, d) with the same d; got {a.shape} and {b.shape}.")
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Need at least 2 activations per set; got {len(a)} and {len(b)}.")
    return a, b


def _sqrt_psd(matrix):
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def fid_from_activations(a, b):
    """Frechet distance between Gaussians fitted to activations `a` and `b` `(n, d)`.

    `|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))`; the trace of the
    matrix square root is computed as the sum of square roots of the eigenvalues
    of the symmetric `S_a^(1/2) S_b S_a^(1/2)`, which is stable for singular
    covariances (fewer samples than dimensions).
    """
    a, b = _check(a, b)
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrt_psd(np.atleast_2d(cov_a))
    middle = root_a @ np.atleast_2d(cov_b) @ root_a
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    value = np.sum((mu_a - mu_b) ** 2) + np.trace(np.atleast_2d(cov_a)) + np.trace(np.atleast_2d(cov_b)) - 2 * trace_sqrt
    return float(max(value, 0.0))


def _polynomial_kernel(x, y):
    return (x @ y.T / x.shape[1] + 1.0) ** 3


def kid_from_activations(a, b, num_subsets=50, subset_size=500, seed=0):
    """Kernel Inception Distance: unbiased MMD^2 with the cubic polynomial kernel, over random subsets.

    Each subset draws `min(subset_size, len(a), len(b))` rows from each set
    without replacement; returns `(mean, std)` over the subsets. With several
    subsets, a subset is at most half the smaller set: subsets as large as the
    sets would all be the same rows, and the std would be 0 whatever the data.
    The defaults are the project's quality protocol (50 subsets of 500, from
    1,000 images a side).

    Args:
        a, b: activations `(n, d)`.
        num_subsets: number of subsets.
        subset_size: rows per subset and set.
        seed: subset sampling seed.
    """
    a, b = _check(a, b)
    m = min(subset_size, len(a), len(b))
    if num_subsets > 1:
        m = min(m, max(2, min(len(a), len(b)) // 2))
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(num_subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
        mmd = ((k_xx.sum() - np.trace(k_xx)) + (k_yy.sum() - np.trace(k_yy))) / (m * (m - 1)) - 2 * k_xy.mean()
        values.append(mmd)
    return float(np.mean(values)), float(np.std(values))


def activations(images, feature_model, batch_size=64):
    """Runs `feature_model` over `images` (array or `tf.data` batches) and flattens to `(n, d)`."""
    outputs = feature_model.predict(images, batch_size=batch_size, verbose=0) if isinstance(images, np.ndarray) \
        else np.concatenate([keras.ops.convert_to_numpy(feature_model(batch, training=False)) for batch in images])
    return np.asarray(outputs, np.float64).reshape(len(outputs), -1)


def fid(images_a, images_b, feature_model, batch_size=64):
    """FID of two image sets through `feature_model` (e.g. InceptionV3 pooled, or a VGG)."""
    return fid_from_activations(activations(images_a, feature_model, batch_size),
                                activations(images_b, feature_model, batch_size))


def kid(images_a, images_b, feature_model, batch_size=64, **kwargs):
    """KID `(mean, std)` of two image sets through `feature_model`; `kwargs` go to `kid_from_activations`."""
    return kid_from_activations(activations(images_a, feature_model, batch_size),
                                activations(images_b, feature_model, batch_size), **kwargs)
