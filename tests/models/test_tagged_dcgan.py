"""TaggedDCGAN: the tag-conditioned generator, its vocabulary semantics, and the shared model cases."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import TaggedDCGAN
from keras_animegan.models import GANModel
from keras_animegan.utils.tags import TagVocabulary
from tests import model_cases

SIZE, WIDTH, LATENT, BATCH = 32, 4, 8, 4
ROWS = [
    ["blue_hair", "light_skin", "long_hair", "glasses"],
    ["red_hair", "dark_skin", "short_hair"],
    ["blue_hair", "dark_skin", "short_hair", "earrings"],
    ["black_hair", "light_skin", "long_hair"],
]


def vocabulary():
    return TagVocabulary.from_rows(ROWS)


def tiny(seed=0, **kwargs):
    return TaggedDCGAN(tag_vocabulary=vocabulary(), latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH,
                       seed=seed, **kwargs)


def batches():
    images = np.random.default_rng(1).uniform(-1, 1, (BATCH, SIZE, SIZE, 3)).astype(np.float32)
    tags = vocabulary().encode_rows(ROWS)
    return tf.data.Dataset.from_tensor_slices((images, tags)).batch(BATCH, drop_remainder=True).repeat()


def test_the_shared_model_cases_hold(tmp_path):
    model_cases.check_all(tiny, batches(), tmp_path)


def test_networks_take_noise_then_tags_and_the_discriminator_reads_the_tags():
    model = tiny()
    assert model.generator.input_shape == (None, LATENT + 9)
    assert model.discriminator.output_shape == (None, 1 + 9)
    assert model.input_kind == "tags"
    history = model_cases.testing.fit_steps(model, batches(), ("generator",), steps=2)[1]
    assert set(history.history) == {"d_loss", "g_loss", "d_tag_loss", "g_tag_loss"}


def test_the_tag_loss_is_lowest_for_the_right_tags():
    model = tiny()
    targets = vocabulary().encode_rows(ROWS)
    right = model.tag_loss(targets * 20.0 - 10.0, targets)
    wrong = model.tag_loss((1.0 - targets) * 20.0 - 10.0, targets)
    assert float(right) < 0.01 < 1.0 < float(wrong)


def test_sample_turns_given_flags_on_and_draws_the_groups_not_given():
    model = tiny()
    vocab = model.tag_vocabulary
    inputs = model.tag_inputs(200, ["blue_hair", "glasses"], seed=3)
    tags = inputs[:, LATENT:]
    assert np.all(tags[:, vocab.index["blue_hair"]] == 1) and np.all(tags[:, vocab.index["glasses"]] == 1)
    assert np.all(tags[:, vocab.index["earrings"]] == 0)  # a flag not given is off
    skin = tags[:, [vocab.index["light_skin"], vocab.index["dark_skin"]]]
    assert np.all(skin.sum(axis=1) == 1) and 0.3 < skin[:, 0].mean() < 0.7  # drawn, 2 of 4 each
    drawn = model.tag_inputs(400, None, seed=3)[:, LATENT:]  # no tags at all: flags drawn too
    assert 0.1 < drawn[:, vocab.index["glasses"]].mean() < 0.4  # 1 of 4 training images
    images = keras.ops.convert_to_numpy(model.sample(3, seed=5, tags="blue_hair, glasses"))
    assert images.shape == (3, SIZE, SIZE, 3)
    np.testing.assert_array_equal(images, keras.ops.convert_to_numpy(model.sample(3, seed=5, tags=["glasses",
                                                                                                   "blue_hair"])))


def test_one_tag_changed_keeps_the_noise_and_the_other_draws():
    model = tiny()
    vocab = model.tag_vocabulary
    a = model.tag_inputs(50, ["blue_hair"], seed=9)
    b = model.tag_inputs(50, ["red_hair"], seed=9)
    np.testing.assert_array_equal(a[:, :LATENT], b[:, :LATENT])
    others = [i for i in range(len(vocab)) if vocab.groups[i] != "hair_color"]
    np.testing.assert_array_equal(a[:, LATENT:][:, others], b[:, LATENT:][:, others])
    c = model.tag_inputs(50, ["blue_hair", "glasses"], seed=9)
    np.testing.assert_array_equal(a[:, :LATENT], c[:, :LATENT])


@pytest.mark.parametrize("tags,message", [
    (["blu_hair"], "nearest: blue_hair"),
    (["blue_hair", "red_hair"], "both hair_color"),
])
def test_bad_tags_are_clear_errors(tags, message):
    with pytest.raises(ValueError, match=message):
        tiny().sample(1, seed=0, tags=tags)


def test_the_vocabulary_travels_with_the_preset(tmp_path):
    model = tiny()
    preset = model.save_to_preset(str(tmp_path / "preset"), weights_dtype="float32")
    loaded = GANModel.from_preset(preset)
    assert loaded.tag_vocabulary.tags == model.tag_vocabulary.tags
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.sample(2, seed=1, tags=["glasses"])),
                               keras.ops.convert_to_numpy(model.sample(2, seed=1, tags=["glasses"])), atol=1e-5)


def test_a_model_needs_its_vocabulary():
    with pytest.raises(ValueError, match="tag_vocabulary"):
        TaggedDCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=WIDTH)


def test_the_tag_head_reads_the_images_without_colour_jitter():
    model = tiny(augment="color,translation")
    assert model.tag_augment_policy == "translation"
    assert model.get_config()["tag_augment"] == "translation"
    model.compile(g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    images = np.random.default_rng(2).uniform(-1, 1, (BATCH, SIZE, SIZE, 3)).astype(np.float32)
    jittered = model.discriminator(model.augment_images(images, 0), training=False)
    translated = model.discriminator(model.augment_images(images, 3, policy="translation"), training=True)
    # The tag logits come from a second call through translation only, not from the jittered call.
    tags = keras.ops.convert_to_numpy(model.tag_logits(images, jittered, 3))
    assert tags.shape == (BATCH, 9)
    np.testing.assert_allclose(tags, keras.ops.convert_to_numpy(translated)[:, 1:], atol=1e-5)
    assert np.abs(tags - keras.ops.convert_to_numpy(jittered)[:, 1:]).max() > 1e-3
    history = model_cases.testing.fit_steps(model, batches(), ("generator",), steps=2)[1]
    assert np.all(np.isfinite(history.history["d_tag_loss"]))


def test_one_policy_for_both_heads_reads_each_image_once():
    model = tiny(augment="translation")
    assert model.tag_augment_policy == "translation"
    outputs = keras.ops.ones((BATCH, 10))
    assert model.tag_logits(None, outputs, 3) is not None
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.tag_logits(None, outputs, 3)), np.ones((BATCH, 9)))
    assert tiny(augment="color", tag_augment="").tag_augment_policy == ""
    restored = TaggedDCGAN.from_config(tiny(augment="color,translation", tag_augment="color").get_config())
    assert restored.tag_augment_policy == "color"
