"""DCGAN and the GANModel base, with tiny networks built once for the module."""


import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import DCGAN
from keras_animegan.models import dcgan_discriminator
from keras_animegan.models import dcgan_generator
from tests import testing

LATENT, SIZE, WIDTH, BATCH = 16, 32, 4, 4


def tiny_dcgan(seed=1):
    return DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH, seed=seed)


def real_batches():
    images = tf.random.stateless_uniform((BATCH * 2, SIZE, SIZE, 3), seed=(1, 2), minval=-1, maxval=1)
    return tf.data.Dataset.from_tensor_slices(images).batch(BATCH, drop_remainder=True)


@pytest.fixture(scope="module")
def trained():
    """A tiny DCGAN before and after one fit step (weights captured before)."""
    model = tiny_dcgan()
    before, history = testing.fit_steps(model, real_batches(), ("generator", "discriminator"))
    return model, before["generator"], before["discriminator"], history


def test_report_architecture_shapes():
    generator = dcgan_generator()
    shapes = [layer.output.shape[1:] for layer in generator.layers if layer.name.startswith(("up", "extra", "to_rgb"))
              and not layer.name.endswith("_bn")]
    assert generator.get_layer("project_bn").output.shape[1:] == (4, 4, 512)
    assert shapes == [(8, 8, 256), (16, 16, 128), (32, 32, 64), (32, 32, 64), (64, 64, 3)]
    assert generator.input_shape == (None, 100)
    discriminator = dcgan_discriminator()
    assert discriminator.input_shape == (None, 64, 64, 3)
    assert discriminator.get_layer("down2").output.shape[1:] == (4, 4, 512)
    assert discriminator.output_shape == (None, 1)
    # Batch norm follows every conv but the last (generator) / first and last (discriminator).
    g_bn = [l for l in generator.layers if isinstance(l, keras.layers.BatchNormalization)]
    assert len(g_bn) == 1 + 3 + 1
    assert generator.layers[-1].activation.__name__ == "tanh"


@pytest.mark.parametrize("size,extra", [(32, 0), (128, 2)])
def test_sizes_and_extra_layers(size, extra):
    generator = dcgan_generator(latent_dim=8, image_size=size, base_filters=2, n_extra_layers=extra)
    discriminator = dcgan_discriminator(image_size=size, base_filters=2, n_extra_layers=extra)
    assert generator.output_shape == (None, size, size, 3)
    assert discriminator.input_shape == (None, size, size, 3)
    assert len([l for l in generator.layers if l.name.startswith("extra") and not l.name.endswith("bn")]) == extra


def test_bad_image_size_is_a_clear_error():
    with pytest.raises(ValueError, match="image_size"):
        dcgan_generator(image_size=48)


def test_output_shapes_and_range(trained):
    model = trained[0]
    images = model(np.random.default_rng(0).standard_normal((3, LATENT)).astype(np.float32))
    assert images.shape == (3, SIZE, SIZE, 3)
    assert images.dtype == tf.float32
    assert float(tf.reduce_max(tf.abs(images))) <= 1.0
    assert model.discriminator(images).shape == (3, 1)


def test_fit_step_reports_finite_named_losses_and_updates_both_networks(trained):
    model, before_g, before_d, history = trained
    testing.assert_finite_history(history, {"d_loss", "g_loss"})
    assert int(model.g_optimizer.iterations) == 1 and int(model.d_optimizer.iterations) == 1
    assert testing.changed(before_g, model.generator)
    assert testing.changed(before_d, model.discriminator)
    assert [m.name for m in model.metrics] == ["d_loss", "g_loss"]


def test_config_round_trip_gives_equal_outputs(trained):
    model = trained[0]
    config = model.get_config()
    assert config["latent_dim"] == LATENT and config["seed"] == 1
    testing.assert_config_round_trip(model, np.ones((2, LATENT), np.float32), atol=1e-6)


def test_keras_file_round_trip(trained, tmp_path):
    model = trained[0]
    noise = np.random.default_rng(1).standard_normal((2, LATENT)).astype(np.float32)
    loaded = testing.assert_keras_file_round_trip(model, tmp_path, noise, atol=1e-6)
    assert isinstance(loaded, DCGAN)
    # Compile state and optimizer progress come back too, so training can continue.
    assert loaded.gan_mode == "vanilla"
    assert int(loaded.g_optimizer.iterations) == 1


def test_saved_model_export_matches(trained, tmp_path):
    model = trained[0]
    noise = np.random.default_rng(2).standard_normal((5, LATENT)).astype(np.float32)
    testing.assert_export_round_trip(model, tmp_path, "dcgan", noise, model(noise))


def test_seeded_sampling_is_deterministic(trained):
    model = trained[0]
    a, b = model.sample(4, seed=7), model.sample(4, seed=7)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, model.sample(4, seed=8))
    # Unseeded draws advance the model's SeedGenerator.
    assert not np.allclose(model.sample(4), model.sample(4))


def test_same_seed_same_training_noise():
    a, b = tiny_dcgan(seed=3), tiny_dcgan(seed=3)
    a.compile()
    b.compile()
    np.testing.assert_array_equal(a.sample_noise(4, a.step_seed(0)), b.sample_noise(4, b.step_seed(0)))
    assert not np.allclose(a.sample_noise(4, a.step_seed(0)), a.sample_noise(4, a.step_seed(1)))


def test_compile_rejects_keras_loss_and_unknown_mode():
    model = tiny_dcgan()
    with pytest.raises(ValueError, match="g_optimizer"):
        model.compile(loss="mse")
    with pytest.raises(ValueError, match="gan_mode"):
        model.compile(gan_mode="wgan-gp")


def test_mismatched_networks_are_rejected():
    with pytest.raises(ValueError, match="does not match"):
        DCGAN(
            generator=dcgan_generator(latent_dim=LATENT, image_size=32, base_filters=WIDTH),
            discriminator=dcgan_discriminator(image_size=64, base_filters=WIDTH),
            latent_dim=LATENT,
        )


@pytest.mark.slow
def test_mirrored_replicas_draw_different_noise_and_scale_losses(mirrored_strategy):
    strategy = mirrored_strategy
    with strategy.scope():
        model = tiny_dcgan()
        model.compile()

    def per_replica():
        return model.replica_noise(2, salt=0), model.scale_loss_for_replicas(tf.constant(1.0))

    noise, scaled = strategy.run(per_replica)
    n0, n1 = [t.numpy() for t in strategy.experimental_local_results(noise)]
    assert not np.allclose(n0, n1)
    assert [float(s) for s in strategy.experimental_local_results(scaled)] == [0.5, 0.5]
    # And a real distributed fit step runs with finite losses.
    with strategy.scope():
        history = model.fit(real_batches(), epochs=1, steps_per_epoch=1, verbose=0)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert model.train_steps == 1
