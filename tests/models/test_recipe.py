"""The modern training recipe's pieces: DiffAugment, generator EMA, R1, spectral norm (tiny networks)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CycleGAN
from keras_animegan import DCGAN
from keras_animegan.export import export_generator
from keras_animegan.models import augment

LATENT, SIZE, WIDTH, BATCH = 16, 32, 4, 4
SEED = tf.constant([3, 4], tf.int32)


def images(n=BATCH, seed=(1, 2)):
    return tf.random.stateless_uniform((n, SIZE, SIZE, 3), seed=seed, minval=-1, maxval=1)


# ----------------------------------------------------------------- DiffAugment
@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_augment_keeps_shape_dtype_and_is_differentiable(policy):
    x = tf.Variable(images())
    with tf.GradientTape() as tape:
        y = augment.diff_augment(x, policy, SEED)
        loss = tf.reduce_sum(y * tf.random.stateless_normal(y.shape, (5, 6)))
    grad = tape.gradient(loss, x)
    assert y.shape == x.shape and y.dtype == x.dtype
    assert grad is not None and np.all(np.isfinite(grad.numpy())) and np.abs(grad.numpy()).sum() > 0
    assert not np.allclose(y.numpy(), x.numpy())  # it did something
    # Stateless: the same seed gives the same transform, another seed another one.
    np.testing.assert_array_equal(y.numpy(), augment.diff_augment(x, policy, SEED).numpy())
    assert not np.allclose(y.numpy(), augment.diff_augment(x, policy, SEED + 1).numpy())


def test_translation_moves_pixels_by_whole_steps_and_fills_zeros():
    x = tf.reshape(tf.range(1, 1 + SIZE * SIZE, dtype=tf.float32), (1, SIZE, SIZE, 1))
    x = tf.tile(x, [8, 1, 1, 1])
    y = augment.translation(x, SEED).numpy()
    for image, original in zip(y, x.numpy()):
        kept = image[image > 0]
        # Every surviving value is an original pixel, shifted as one block: consecutive rows differ by SIZE.
        assert set(kept.tolist()) <= set(original.ravel().tolist())
        assert (image == 0).sum() <= SIZE * SIZE - (SIZE - 4) ** 2  # at most 4 px (1/8 of 32) each way


def test_cutout_zeroes_one_square_of_half_size():
    y = augment.cutout(tf.ones((16, SIZE, SIZE, 3)), SEED).numpy()
    zeros = (y[..., 0] == 0).sum(axis=(1, 2))
    assert zeros.max() == (SIZE // 2) ** 2  # a whole square when it lies inside the image
    assert zeros.min() > 0


def test_unknown_policy_is_refused_by_name():
    with pytest.raises(ValueError, match="rotate"):
        augment.parse_policy("color,rotate")
    assert augment.parse_policy("none".replace("none", "")) == ()
    assert augment.parse_policy("cutout, color") == ("color", "cutout")


# ------------------------------------------------------------------------- EMA
@pytest.fixture(scope="module")
def ema_model():
    model = DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, seed=1, ema_decay=0.9, ema_rampup=None,
                  augment="color,translation,cutout")
    model.compile(g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5), d_optimizer=keras.optimizers.Adam(1e-2))
    return model


def test_ema_follows_the_formula(ema_model):
    model = ema_model
    ema_before = [w.copy() for w in model.ema_generator.get_weights()]
    ds = tf.data.Dataset.from_tensor_slices(images(2 * BATCH)).batch(BATCH)
    step = model.train_steps
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    assert model.train_steps == step + 1
    raw_after = model.generator.get_weights()
    decay = 0.9  # no ramp-up in this fixture
    for before, raw, ema in zip(ema_before, raw_after, model.ema_generator.get_weights()):
        np.testing.assert_allclose(ema, decay * before + (1 - decay) * raw, rtol=1e-5, atol=1e-6)
    # The raw generator moved away from the EMA one (it trains; the EMA lags).
    assert any(not np.allclose(r, e) for r, e in zip(raw_after, model.ema_generator.get_weights()))


def test_ema_rampup_follows_stylegan2_ada():
    model = DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, seed=1, ema_decay=0.999, ema_rampup=0.05)
    for step in (1, 10, 100, 737, 20000):
        # Half-life min(h(0.999), 0.05 * t) steps at step t; decay = 0.5 ** (1 / half-life).
        half_life = min(np.log(0.5) / np.log(0.999), 0.05 * step)
        np.testing.assert_allclose(float(model.ema_decay_at(step)), 0.5 ** (1 / half_life), rtol=1e-5)
    assert float(model.ema_decay_at(20000)) == pytest.approx(0.999, rel=1e-6)
    assert float(model.ema_decay_at(1)) < 1e-5  # the first steps copy the raw weights


def test_ema_is_what_call_sample_keras_and_exports_use(ema_model, tmp_path):
    model = ema_model  # trained a step here too: tests of a module may run on different workers, in any order
    model.fit(tf.data.Dataset.from_tensor_slices(images(BATCH)).batch(BATCH), epochs=1, steps_per_epoch=1, verbose=0)
    noise = np.random.default_rng(0).standard_normal((3, LATENT)).astype(np.float32)
    ema_out = np.asarray(model.ema_generator(noise, training=False))
    raw_out = np.asarray(model.generator(noise, training=False))
    assert not np.allclose(ema_out, raw_out)
    np.testing.assert_allclose(np.asarray(model(noise)), ema_out, atol=1e-6)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.ema_decay == 0.9 and loaded.ema_rampup is None and loaded.augment_policy == "color,translation,cutout"
    np.testing.assert_allclose(np.asarray(loaded(noise)), ema_out, atol=1e-6)
    export = export_generator(model, str(tmp_path / "export"), "dcgan", network=model.inference_network())
    served = tf.saved_model.load(export)
    np.testing.assert_allclose(np.asarray(served.serve(noise)["images"]), ema_out, atol=1e-5)


@pytest.mark.slow
def test_cyclegan_translates_with_both_ema_generators():
    model = CycleGAN(image_size=SIZE, base_filters=WIDTH, num_blocks=1, seed=0, ema_decay=0.5, pool_size=2)
    model.compile(g_optimizer=keras.optimizers.Adam(1e-2), d_optimizer=keras.optimizers.Adam(1e-2))
    x = images(2)
    ds = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(x).batch(2),
                              tf.data.Dataset.from_tensor_slices(x).batch(2)))
    model.fit(ds, epochs=1, steps_per_epoch=1, verbose=0)
    for direction in ("ab", "ba"):
        ema = getattr(model, f"ema_generator_{direction}")
        np.testing.assert_allclose(np.asarray(model.translate(x, direction)), np.asarray(ema(x, training=False)))
    assert model.inference_network("generator") is model.ema_generator_ab


# -------------------------------------------------------------------------- R1
def test_r1_matches_finite_differences():
    model = DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, seed=1, r1_gamma=2.0)
    # A smooth float64 discriminator (a LeakyReLU network is piecewise linear, and its kinks make
    # finite differences jump). TF's CPU kernels round some float64 work to about float32
    # precision here, so the step is 1e-3 (difference error ~1e-6) rather than smaller.
    keras.mixed_precision.set_dtype_policy("float64")
    try:
        inputs = keras.Input((SIZE, SIZE, 3))
        hidden = keras.layers.Conv2D(4, 3, strides=2, activation="tanh",
                                     kernel_initializer=keras.initializers.RandomNormal(0.0, 0.5, seed=1))(inputs)
        logits = keras.layers.Dense(1, kernel_initializer=keras.initializers.RandomNormal(0.0, 0.5, seed=2))(
            keras.layers.Flatten()(hidden))
        d = keras.Model(inputs, logits)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    x = tf.cast(images(2), tf.float64)

    def discriminator(v, training):
        return d(v, training=training)

    penalty, _ = model.r1_penalty(discriminator, x)
    # Central differences of sum_i D(x_i) along single pixels give the gradient's entries.
    flat = x.numpy().reshape(2, -1)
    eps = 1e-3
    picked = np.random.default_rng(0).choice(flat.shape[1], 24, replace=False)
    estimate = []
    for i in picked:
        bumped = flat.copy()
        bumped[:, i] += eps
        up = np.asarray(d(bumped.reshape(x.shape), training=False))[:, 0]
        bumped[:, i] -= 2 * eps
        down = np.asarray(d(bumped.reshape(x.shape), training=False))[:, 0]
        estimate.append((up - down) / (2 * eps))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(d(x, training=False))
    exact = tape.gradient(total, x).numpy().reshape(2, -1)
    assert np.abs(exact[:, picked]).max() > 1e-3  # a gradient worth checking
    np.testing.assert_allclose(np.stack(estimate, axis=1), exact[:, picked], rtol=1e-4, atol=1e-5)
    # The penalty: gamma / 2 * mean over images of the squared gradient norm.
    np.testing.assert_allclose(float(penalty), 0.5 * 2.0 * np.mean(np.sum(exact ** 2, axis=1)), rtol=1e-5)


def test_spectral_discriminator_has_no_batch_norm_and_trains():
    model = DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, seed=2, discriminator_norm="spectral",
                  r1_gamma=1.0)
    assert not [l for l in model.discriminator.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert [l for l in model.discriminator.layers if isinstance(l, keras.layers.SpectralNormalization)]
    model.compile()
    before = [w.copy() for w in model.discriminator.get_weights()]
    history = model.fit(tf.data.Dataset.from_tensor_slices(images(BATCH)).batch(BATCH), epochs=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert any(not np.allclose(a, b) for a, b in zip(before, model.discriminator.get_weights()))
    with pytest.raises(ValueError, match="norm"):
        DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, discriminator_norm="layer")


@pytest.mark.slow
def test_ema_and_augmentation_under_two_replicas(mirrored_strategy):
    """Two replicas (EMA updated in merge_call, augmentation drawn for the global batch and sliced)
    take the step one device takes with the same global batch."""
    x = images(2 * BATCH)

    def build():
        return DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, seed=3, ema_decay=0.9,
                     ema_rampup=None, augment="color,translation,cutout")

    keras.utils.set_random_seed(0)
    initial = build().get_weights()

    def one_step(strategy):
        with strategy.scope():
            model = build()
            model.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
        model.set_weights(initial)
        model.fit(tf.data.Dataset.from_tensor_slices(x).batch(2 * BATCH), epochs=1, verbose=0)
        return model

    single = one_step(tf.distribute.get_strategy())
    mirrored = one_step(mirrored_strategy)
    # Tolerance relative to the largest update, as in tests/distribute/test_mirrored.py.
    moved = max(np.abs(a - w0).max() for a, w0 in zip(single.get_weights(), initial))
    assert moved > 0
    for name in ("generator", "discriminator", "ema_generator"):
        for a, b in zip(getattr(single, name).get_weights(), getattr(mirrored, name).get_weights()):
            assert np.all(np.isfinite(b))
            np.testing.assert_allclose(b, a, atol=1e-4 * moved + 1e-7)
