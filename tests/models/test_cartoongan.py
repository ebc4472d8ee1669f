"""CartoonGAN, its losses and edge smoothing, with tiny networks and a tiny stand-in feature network."""

import hashlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CartoonGAN
from keras_animegan.data import edge_smooth
from keras_animegan.losses import content_loss
from keras_animegan.losses import gram_matrix
from keras_animegan.losses import style_loss
from keras_animegan.models import VGGPreprocess
from keras_animegan.models import cartoon_discriminator
from keras_animegan.models import cartoon_generator
from keras_animegan.models import vgg_feature_extractor
from tests import testing

SIZE, BATCH = 32, 2


def tiny_features():
    images = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(images)
    return keras.Model(images, keras.layers.Conv2D(6, 3, padding="same")(x), name="tiny_features")


def tiny_cartoongan(init_steps=0, **kwargs):
    return CartoonGAN(tiny_features(), image_size=SIZE, base_filters=4, num_blocks=1, init_steps=init_steps, seed=0,
                      **kwargs)


def batches():
    photo, cartoon, smoothed = (tf.random.stateless_uniform((BATCH, SIZE, SIZE, 3), (i, 7), minval=-1, maxval=1)
                                for i in range(3))
    return tf.data.Dataset.from_tensors((photo, cartoon, smoothed)).repeat()


@pytest.fixture(scope="module")
def trained():
    model = tiny_cartoongan()
    model.compile()
    g0, d0 = testing.weights_of(model.generator), testing.weights_of(model.discriminator)
    history = model.fit(batches(), epochs=1, steps_per_epoch=1, verbose=0)
    return model, g0, d0, history


def test_default_network_shapes():
    assert cartoon_generator(image_size=256).output_shape == (None, 256, 256, 3)
    assert len([l for l in cartoon_generator(image_size=256).layers if l.name.endswith("_add")]) == 8
    assert cartoon_discriminator(image_size=256).output_shape == (None, 64, 64, 1)
    with pytest.raises(ValueError, match="norm"):
        cartoon_generator(image_size=32, norm="layer")


def test_tiny_shapes(trained):
    model = trained[0]
    x = tf.zeros((BATCH, SIZE, SIZE, 3))
    assert model(x).shape == (BATCH, SIZE, SIZE, 3)
    assert model.discriminator(x).shape == (BATCH, SIZE // 4, SIZE // 4, 1)


def test_full_step_reports_every_loss_and_changes_both_networks(trained):
    model, g0, d0, history = trained
    assert set(history.history) == set(CartoonGAN.loss_names)
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert testing.changed(g0, model.generator) and testing.changed(d0, model.discriminator)
    h = {k: v[0] for k, v in history.history.items()}
    assert h["g_loss"] == pytest.approx(h["adv_loss"] + 10 * h["content_loss"] + 1.0 * h["style_loss"], rel=1e-5)


class SeparateCalls(CartoonGAN):
    calls_together = False  # the discriminator on each batch apart, as in the paper's step


def test_calls_together_train_as_separate_calls_do():
    # The discriminator's one call on cartoons, generated and smoothed images must be exact.
    together, separate = tiny_cartoongan(), SeparateCalls(
        tiny_features(), image_size=SIZE, base_filters=4, num_blocks=1, init_steps=0, seed=0)
    assert together.calls_together
    testing.assert_train_alike(together, separate, batches(), ("generator", "discriminator"))
    assert not tiny_cartoongan(norm="batch").calls_together


@pytest.mark.slow
def test_init_phase_trains_only_the_generator_on_content():
    model = tiny_cartoongan(init_steps=2)
    model.compile()
    g0, d0 = testing.weights_of(model.generator), testing.weights_of(model.discriminator)
    history = model.fit(batches(), epochs=1, steps_per_epoch=2, verbose=0)
    assert set(history.history) == {"content_loss"}
    assert testing.changed(g0, model.generator)
    assert not testing.changed(d0, model.discriminator)
    assert int(keras.ops.convert_to_numpy(model.d_optimizer.iterations)) == 0
    # Then, in the same history of a longer fit, the adversarial phase.
    history = model.fit(batches(), epochs=2, steps_per_epoch=1, verbose=0)
    assert len(history.history["content_loss"]) == 2 and len(history.history["d_loss"]) == 2
    assert testing.changed(d0, model.discriminator)


@pytest.mark.slow
def test_phase_switches_inside_one_fit_and_follows_the_step_count():
    model = tiny_cartoongan(init_steps=1)
    model.compile()
    history = model.fit(batches(), epochs=2, steps_per_epoch=1, verbose=0)
    assert len(history.history["content_loss"]) == 2  # both epochs
    assert len(history.history["d_loss"]) == 1  # only the second
    assert model.initializing is False and model.train_steps == 2


def test_config_and_keras_round_trips(trained, tmp_path):
    model = trained[0]
    x = tf.random.stateless_uniform((BATCH, SIZE, SIZE, 3), (9, 9), minval=-1, maxval=1)
    testing.assert_config_round_trip(model, x)
    loaded = testing.assert_keras_file_round_trip(model, tmp_path, x,
                                                  calls=(lambda m, x: m(x), lambda m, x: m.feature_extractor(x)))
    assert loaded.init_steps == model.init_steps and loaded.train_steps == 1


def test_export_round_trip(trained, tmp_path):
    model = trained[0]
    x = tf.random.stateless_uniform((3, SIZE, SIZE, 3), (4, 4), minval=-1, maxval=1)
    testing.assert_export_round_trip(model, tmp_path, "cartoongan", x, model(x))


def test_gram_matrix_hand_made_case():
    # One image, 1x2 positions, 2 channels: F = [[1, 2], [3, 4]] (positions x channels).
    features = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], np.float32)
    # F^T F = [[1+9, 2+12], [2+12, 4+16]] = [[10, 14], [14, 20]], over h*w*c = 4.
    np.testing.assert_allclose(gram_matrix(features), [[[2.5, 3.5], [3.5, 5.0]]])


def test_style_loss_compares_to_the_batch_mean_gram():
    # Grams (over h*w*c = 2): [[.5, 0], [0, 0]] and [[0, 0], [0, .5]]; their mean [[.25, 0], [0, .25]].
    a = np.array([[[[1.0, 0.0]]], [[[0.0, 1.0]]]], np.float32)
    # Each differs from the mean by .25 on 2 of its 4 entries: mean |diff| = 0.125.
    assert float(style_loss(a, a)) == pytest.approx(0.125)
    same = np.repeat(a[:1], 2, axis=0)
    assert float(style_loss(same, same)) == 0.0


def test_content_loss_weight_map_ignores_changes_outside_its_region():
    rng = np.random.default_rng(0)
    f = rng.normal(size=(1, 4, 4, 3)).astype(np.float32)
    weight = np.zeros((1, 8, 8, 1), np.float32)
    weight[:, :4, :4] = 1.0  # image-resolution map: the top-left quarter = feature cells [:2, :2]
    g = f.copy()
    g[:, 2:, :] += 3.0
    g[:, :, 2:] += 3.0
    assert float(content_loss(f, g, weight)) == 0.0
    g[:, 1, 1] += 1.0
    assert float(content_loss(f, g, weight)) > 0.0
    assert float(content_loss(f, g, np.ones((1, 8, 8), np.float32))) == pytest.approx(float(np.abs(f - g).mean()))


def test_edge_smoothing_changes_pixels_only_near_edges():
    image = np.full((40, 40, 3), 255, np.uint8)
    image[:, :20] = 0  # one vertical edge between columns 19 and 20
    out = edge_smooth(image, kernel_size=5)
    diff = np.abs(out.astype(int) - image.astype(int)).max(axis=2)
    changed_columns = np.where(diff.max(axis=0) > 0)[0]
    assert changed_columns.size > 0
    assert changed_columns.min() >= 20 - 5 and changed_columns.max() <= 19 + 5  # within the dilated band
    np.testing.assert_array_equal(out[:, :12], image[:, :12])
    np.testing.assert_array_equal(out[:, 28:], image[:, 28:])
    flat = np.full((16, 16, 3), 77, np.uint8)
    np.testing.assert_array_equal(edge_smooth(flat), flat)  # no edges: unchanged


def test_vgg_preprocessing_matches_the_weights_conventions():
    white = np.ones((1, 1, 1, 3), np.float32)
    np.testing.assert_allclose(VGGPreprocess("caffe")(white)[0, 0, 0], [255 - 103.939, 255 - 116.779, 255 - 123.68],
                               rtol=1e-6)
    np.testing.assert_allclose(VGGPreprocess("torch")(white)[0, 0, 0],
                               [(1 - 0.485) / 0.229, (1 - 0.456) / 0.224, (1 - 0.406) / 0.225], rtol=1e-6)
    red = np.array([[[[1.0, -1.0, -1.0]]]], np.float32)  # caffe wants BGR: red lands in the last channel
    assert float(VGGPreprocess("caffe")(red)[0, 0, 0, 2]) == pytest.approx(255 - 123.68)


def test_vgg_feature_extractor_random_weights():
    model = vgg_feature_extractor("vgg16", weights=None, image_size=SIZE)
    assert model.output_shape == (None, SIZE // 8, SIZE // 8, 512)  # block4_conv3
    assert not model.trainable_weights
    assert model.get_layer("vgg_preprocess").mode == "caffe"


def test_compile_defaults_to_the_trainers_vanilla_loss():
    model = tiny_cartoongan()
    model.compile()
    assert model.gan_mode == "vanilla"  # train.cartoongan's default too (the paper's loss)


@pytest.fixture(scope="module")
def keras_saved_vgg16(tmp_path_factory):
    """A VGG16 saved by Keras (random weights: the layout of `VGG16(weights="imagenet").save_weights`)."""
    path = tmp_path_factory.mktemp("vgg") / "keras_vgg16.weights.h5"
    keras.applications.VGG16(include_top=False, weights=None, input_shape=(SIZE, SIZE, 3)).save_weights(path)
    return str(path)


def test_auto_preprocessing_refuses_a_vgg_file_it_cannot_tell(keras_saved_vgg16, monkeypatch):
    from keras_animegan.models import feature_extractors

    # A Keras-saved file has the same layout as a torchvision conversion: auto must not guess "torch".
    with pytest.raises(ValueError, match=r"keras_vgg16\.weights\.h5.*caffe.*torch"):
        vgg_feature_extractor("vgg16", weights=keras_saved_vgg16, image_size=SIZE)
    named = vgg_feature_extractor("vgg16", weights=keras_saved_vgg16, image_size=SIZE, preprocessing="caffe")
    assert named.get_layer("vgg_preprocess").mode == "caffe"
    # A file the package knows (by its SHA-256) resolves to its recorded preprocessing.
    with open(keras_saved_vgg16, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    monkeypatch.setitem(feature_extractors.KNOWN_VGG_FILES, digest, "torch")
    assert feature_extractors.resolve_vgg_preprocessing(keras_saved_vgg16) == "torch"
    assert feature_extractors.resolve_vgg_preprocessing("imagenet") == "caffe"
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        feature_extractors.resolve_vgg_preprocessing("missing.h5")


def test_kid_features_take_the_preprocessing_with_a_local_vgg(keras_saved_vgg16):
    from keras_animegan.metrics.features import feature_model

    with pytest.raises(ValueError, match="keras_vgg16"):
        feature_model(keras_saved_vgg16, image_size=SIZE)
    model = feature_model("caffe:" + keras_saved_vgg16, image_size=SIZE)
    assert model.output_shape == (None, 512)
    extractor = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    assert extractor.get_layer("vgg_preprocess").mode == "caffe"
