"""Adversarial losses against hand-computed values (as TF-GAN's losses_impl_test does)."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import losses

REAL = np.array([[1.0], [-2.0]], np.float32)
FAKE = np.array([[0.5], [3.0]], np.float32)


def softplus(x):
    return math.log1p(math.exp(x))


def test_minimax_values():
    # -log(sigmoid(x)) = softplus(-x); -log(1 - sigmoid(x)) = softplus(x).
    expected_g = (softplus(-0.5) + softplus(-3.0)) / 2
    expected_d = (softplus(-1.0) + softplus(2.0)) / 2 + (softplus(0.5) + softplus(3.0)) / 2
    assert float(losses.minimax_generator_loss(FAKE)) == pytest.approx(expected_g, rel=1e-6)
    assert float(losses.minimax_discriminator_loss(REAL, FAKE)) == pytest.approx(expected_d, rel=1e-6)


def test_minimax_is_stable_for_large_logits():
    value = float(losses.minimax_discriminator_loss(np.array([100.0]), np.array([-100.0])))
    assert value == pytest.approx(2 * math.log1p(math.exp(-100.0)), abs=1e-12)
    assert math.isfinite(float(losses.minimax_generator_loss(np.array([-1000.0]))))
    assert float(losses.minimax_generator_loss(np.array([-1000.0]))) == pytest.approx(1000.0)


def test_least_squares_values():
    expected_g = 0.5 * ((0.5 - 1) ** 2 + (3.0 - 1) ** 2) / 2
    expected_d = 0.5 * ((1.0 - 1) ** 2 + (-2.0 - 1) ** 2) / 2 + 0.5 * (0.5**2 + 3.0**2) / 2
    assert float(losses.least_squares_generator_loss(FAKE)) == pytest.approx(expected_g)
    assert float(losses.least_squares_discriminator_loss(REAL, FAKE)) == pytest.approx(expected_d)


def test_hinge_values():
    expected_g = -(0.5 + 3.0) / 2
    expected_d = (max(0, 1 - 1.0) + max(0, 1 + 2.0)) / 2 + (max(0, 1 + 0.5) + max(0, 1 + 3.0)) / 2
    assert float(losses.hinge_generator_loss(FAKE)) == pytest.approx(expected_g)
    assert float(losses.hinge_discriminator_loss(REAL, FAKE)) == pytest.approx(expected_d)


@pytest.mark.parametrize("gan_mode", ["vanilla", "lsgan", "hinge"])
def test_patch_maps_reduce_over_every_axis(gan_mode):
    g_loss, d_loss = losses.get_adversarial_loss(gan_mode)
    rng = np.random.default_rng(0)
    real = rng.normal(size=(2, 4, 4, 1)).astype(np.float32)
    fake = rng.normal(size=(2, 4, 4, 1)).astype(np.float32)
    # A patch map is the same as its flattened logits: a mean over every element.
    assert float(g_loss(fake)) == pytest.approx(float(g_loss(fake.reshape(-1, 1))), rel=1e-6)
    assert float(d_loss(real, fake)) == pytest.approx(float(d_loss(real.reshape(-1), fake.reshape(-1))), rel=1e-6)
    assert g_loss(fake).shape == ()


def test_bfloat16_logits_give_float32_losses():
    for g_loss, d_loss in (losses.get_adversarial_loss(m) for m in losses.GAN_MODES):
        value = d_loss(tf.constant(REAL, tf.bfloat16), tf.constant(FAKE, tf.bfloat16))
        assert value.dtype == tf.float32
        assert g_loss(tf.constant(FAKE, tf.bfloat16)).dtype == tf.float32


def test_every_loss_keeps_float64_and_raises_half_precision_to_float32():
    x = np.linspace(-1, 1, 2 * 4 * 4 * 3).reshape(2, 4, 4, 3)
    for dtype, want in (("bfloat16", tf.float32), ("float16", tf.float32), ("float32", tf.float32), ("float64", tf.float64)):
        a, b = tf.constant(x, dtype), tf.constant(x[::-1], dtype)
        values = [
            losses.weighted_l1(a, b, weight=tf.ones((2, 4, 4, 1))),
            losses.content_loss(a, b, weight=tf.ones((2, 8, 8))),
            losses.style_loss(a, b),
            losses.style_loss(None, b, target_gram=losses.mean_gram_matrix(a)),
            *(g(a) for g, _ in map(losses.get_adversarial_loss, losses.GAN_MODES)),
        ]
        assert {v.dtype for v in values} == {want}, dtype
        assert float(values[2]) == pytest.approx(float(values[3]), rel=1e-6)


def test_registry_names_and_aliases():
    assert losses.get_adversarial_loss("minimax") == losses.get_adversarial_loss("vanilla")
    assert losses.get_adversarial_loss("LSGAN").generator is losses.least_squares_generator_loss
    with pytest.raises(ValueError, match="wgan"):
        losses.get_adversarial_loss("wgan")
