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


def test_the_tag_head_learns_from_the_images_colour_jitter_left_alone():
    model = tiny(augment="color,translation", tag_share=0.5)
    assert model.tag_augment_policy == "translation"
    assert model.get_config()["tag_augment"] == "translation"
    model.compile(g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    # Each pixel of an image a uniform random value: translation only moves values (or pads 0),
    # colour jitter makes new ones.
    images = np.random.default_rng(2).uniform(-1, 1, (32, SIZE, SIZE, 3)).astype(np.float32)
    augmented, weights = model.tagged_augment(images, 0)
    augmented, weights = keras.ops.convert_to_numpy(augmented), keras.ops.convert_to_numpy(weights)
    assert set(np.unique(weights)) == {0.0, 1.0} and 4 <= weights.sum() <= 28
    for image, out, weight in zip(images, augmented, weights):
        kept = np.isin(np.round(out, 5), np.append(np.round(image, 5), 0.0)).mean()
        assert (kept == 1.0) if weight else (kept < 0.5), (kept, weight)
    # The tag loss counts the weighted images only.
    targets = vocabulary().encode_rows(ROWS)
    right, wrong = targets * 20.0 - 10.0, (1.0 - targets) * 20.0 - 10.0
    mixed = np.concatenate([right[:2], wrong[2:]])
    assert float(model.tag_loss(mixed, targets, np.array([1, 1, 0, 0], np.float32))) < 0.01
    assert float(model.tag_loss(mixed, targets)) > 1.0
    history = model_cases.testing.fit_steps(model, batches(), ("generator",), steps=2)[1]
    assert np.all(np.isfinite(history.history["d_tag_loss"]))


def test_one_policy_for_both_heads_counts_every_image():
    model = tiny(augment="translation")
    model.compile(g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    assert model.tag_augment_policy == "translation"
    assert model.tagged_augment(np.zeros((BATCH, SIZE, SIZE, 3), np.float32), 0)[1] is None
    assert tiny(augment="color", tag_augment="").tag_augment_policy == ""
    restored = TaggedDCGAN.from_config(tiny(augment="color,translation", tag_augment="color", tag_share=0.3).get_config())
    assert (restored.tag_augment_policy, restored.tag_share) == ("color", 0.3)
    with pytest.raises(ValueError, match="tag_augment 'cutout' must be a part of augment"):
        tiny(augment="color", tag_augment="cutout")


def test_the_twin_head_learns_the_fakes_tags_and_the_generator_works_against_it():
    model = tiny(twin_classifier=True)
    assert model.discriminator.output_shape == (None, 1 + 2 * 9)
    restored = TaggedDCGAN.from_config(model.get_config())
    assert restored.twin_classifier and restored.discriminator.output_shape == (None, 1 + 2 * 9)
    model.compile(g_optimizer=keras.optimizers.Adam(1e-4), d_optimizer=keras.optimizers.Adam(1e-4))
    tags = vocabulary().encode_rows(ROWS)
    right, wrong = tags * 20.0 - 10.0, (1.0 - tags) * 20.0 - 10.0
    # TAC-GAN's generator term: the real-image head's tag loss minus the twin's.
    read_by_first = np.concatenate([np.zeros((BATCH, 1)), right, wrong], axis=1).astype(np.float32)
    read_by_twin = np.concatenate([np.zeros((BATCH, 1)), wrong, right], axis=1).astype(np.float32)
    loss, term = (float(v) for v in model.generator_tag_loss(read_by_first, tags))
    assert loss < 0.01 and term < -1.0
    loss, term = (float(v) for v in model.generator_tag_loss(read_by_twin, tags))
    assert loss > 1.0 and term > 1.0
    plain_loss, plain_term = tiny().generator_tag_loss(read_by_first[:, :10], tags)
    assert float(plain_loss) == float(plain_term) < 0.01
    history = model_cases.testing.fit_steps(model, batches(), ("generator",), steps=2)[1]
    assert set(history.history) == {"d_loss", "g_loss", "d_tag_loss", "g_tag_loss", "twin_loss"}
    assert np.all(np.isfinite(history.history["twin_loss"]))
