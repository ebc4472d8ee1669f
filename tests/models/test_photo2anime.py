"""The photo translator's parts: the flat-colour cartoon target, the U-Net generator, CartoonGAN's target loss."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CartoonGAN
from keras_animegan.data import flat_cartoon
from keras_animegan.export import translate_any_size
from keras_animegan.models import unet_generator
from tests import testing

SIZE, BATCH = 32, 2


def noisy_two_tone(seed=0, size=64):
    """A left-dark / right-light image with strong pixel noise: two flat regions and one edge underneath."""
    rng = np.random.default_rng(seed)
    image = np.zeros((size, size, 3), np.float32)
    image[:, : size // 2] = (70, 90, 150)
    image[:, size // 2:] = (220, 180, 150)
    return np.clip(image + rng.normal(0, 12, image.shape), 0, 255).astype(np.uint8)


def test_flat_cartoon_flattens_regions_draws_the_edge_and_lifts_the_tones():
    image = noisy_two_tone()
    out = flat_cartoon(image)
    assert out.shape == image.shape and out.dtype == np.uint8
    # Inside each half (away from the edge) the noise is gone: far fewer distinct colours, much less spread.
    for region in (np.s_[8:-8, 4:24], np.s_[8:-8, 40:60]):
        assert out[region].std(axis=(0, 1)).max() < 0.25 * image[region].std(axis=(0, 1)).max()
    # The edge between the halves gets a dark outline in (almost) every row.
    edge = out[:, 28:36].mean(axis=-1)
    assert (edge.min(axis=1) < 80).mean() > 0.9
    # Pastel: nothing darker than the lift (the outline colour lifted), chroma reduced.
    assert out.min() >= 30
    assert np.ptp(out[8:-8, 4:24].mean(axis=(0, 1))) < np.ptp(image[8:-8, 4:24].mean(axis=(0, 1)))


def test_flat_cartoon_refuses_a_grey_image():
    with pytest.raises(ValueError, match="RGB"):
        flat_cartoon(np.zeros((16, 16), np.uint8))


def test_unet_generator_keeps_any_size_that_is_a_multiple_of_4():
    network = unet_generator(None, base_filters=4, num_blocks=1)
    for shape in ((1, 32, 32, 3), (2, 48, 80, 3)):
        out = network(tf.zeros(shape))
        assert out.shape == shape
    assert unet_generator(64, base_filters=4, num_blocks=1).output_shape == (None, 64, 64, 3)
    with pytest.raises(ValueError, match="multiple of 4"):
        unet_generator(30)


def test_a_fully_convolutional_translator_runs_at_the_input_size_without_resizing():
    network = unet_generator(None, base_filters=4, num_blocks=1)
    for height, width in ((30, 45), (64, 64), (5, 7)):
        images = tf.random.stateless_uniform((1, height, width, 3), (height, width), minval=-1, maxval=1)
        out = translate_any_size(network, images)
        assert out.shape == (1, height, width, 3)
    # At a multiple of 4 nothing is padded or resized: the network's own output.
    images = tf.random.stateless_uniform((1, 64, 64, 3), (1, 2), minval=-1, maxval=1)
    np.testing.assert_allclose(translate_any_size(network, images), network(images), atol=1e-6)


def target_batches(with_target=True):
    photo, cartoon, smoothed = (tf.random.stateless_uniform((BATCH, SIZE, SIZE, 3), (i, 3), minval=-1, maxval=1)
                                for i in range(3))
    batch = {"photo": photo, "cartoon": cartoon, "smoothed": smoothed}
    if with_target:
        batch["target"] = -photo  # any fixed per-photo target
    return tf.data.Dataset.from_tensors(batch).repeat()


def unet_cartoongan(**kwargs):
    return CartoonGAN(None, image_size=SIZE, base_filters=4, num_blocks=1, architecture="unet", content_weight=0,
                      style_weight=0, target_weight=1.0, seed=0, **kwargs)


def test_target_loss_alone_trains_without_a_feature_network_and_pulls_toward_the_target():
    model = unet_cartoongan(init_steps=1000)
    model.compile(g_optimizer=keras.optimizers.Adam(1e-2))
    d0 = testing.weights_of(model.discriminator)
    history = model.fit(target_batches(), epochs=1, steps_per_epoch=30, verbose=0)
    assert set(history.history) == {"content_loss", "target_loss"}
    assert history.history["content_loss"][0] == 0.0
    batch = next(iter(target_batches()))
    after = float(np.mean(np.abs(model(batch["photo"]) - batch["target"])))
    fresh = unet_cartoongan()
    before = float(np.mean(np.abs(fresh(batch["photo"]) - batch["target"])))
    assert after < 0.8 * before
    assert not testing.changed(d0, model.discriminator)


def test_adversarial_phase_adds_the_weighted_target_loss():
    model = unet_cartoongan()
    model.compile()
    history = model.fit(target_batches(), epochs=1, steps_per_epoch=1, verbose=0)
    h = {k: v[0] for k, v in history.history.items()}
    assert h["target_loss"] > 0
    assert h["g_loss"] == pytest.approx(h["adv_loss"] + h["target_loss"], rel=1e-5)


def test_target_weight_without_targets_is_a_clear_error():
    model = unet_cartoongan(init_steps=10)
    model.compile()
    with pytest.raises(ValueError, match="target"):
        model.fit(target_batches(with_target=False), epochs=1, steps_per_epoch=1, verbose=0)


def test_perceptual_losses_still_need_a_feature_network():
    with pytest.raises(ValueError, match="feature_extractor"):
        CartoonGAN(None, image_size=SIZE, base_filters=4, num_blocks=1).compile()
    with pytest.raises(ValueError, match="architecture"):
        CartoonGAN(None, image_size=SIZE, architecture="vit")


def test_unet_cartoongan_round_trips_keep_the_architecture(tmp_path):
    model = unet_cartoongan(init_steps=5)
    model.compile()
    model.fit(target_batches(), epochs=1, steps_per_epoch=1, verbose=0)
    x = tf.random.stateless_uniform((1, 48, 40, 3), (5, 5), minval=-1, maxval=1)
    loaded = testing.assert_keras_file_round_trip(model, tmp_path, x)
    assert loaded.architecture == "unet" and loaded.target_weight == 1.0
    assert loaded.generator.input_shape == (None, None, None, 3)


def test_a_fully_convolutional_translator_works_on_at_most_max_work_pixels(monkeypatch):
    """Memory stays bounded for big photos: the network sees at most `MAX_WORK_PIXELS`; the output keeps the
    input's size. Before, an 8000 x 8000 photo ran the U-Net at full size (5.5 GB)."""
    from keras_animegan.export import any_size

    network = unet_generator(None, base_filters=4, num_blocks=1)
    seen = []
    spy = keras.Model(network.inputs, network.outputs)
    original_call = spy.call

    def call(inputs, *args, **kwargs):
        seen.append(tuple(inputs.shape))
        return original_call(inputs, *args, **kwargs)

    spy.call = call
    monkeypatch.setattr(any_size, "MAX_WORK_PIXELS", 40 * 40)
    images = tf.random.stateless_uniform((1, 90, 120, 3), (3, 4), minval=-1, maxval=1)
    out = translate_any_size(spy, images)
    assert out.shape == (1, 90, 120, 3)
    assert seen and all(h * w <= 40 * 40 for _, h, w, _ in seen)
    assert np.all(np.isfinite(out)) and float(tf.reduce_max(tf.abs(out))) <= 1.0
    seen.clear()
    small = tf.random.stateless_uniform((1, 36, 40, 3), (5, 6), minval=-1, maxval=1)
    np.testing.assert_allclose(translate_any_size(spy, small), network(small), atol=1e-6)  # under it: untouched
    assert seen[-1][1:3] == (36, 40)
