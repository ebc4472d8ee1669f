"""`benchmarks.tag_accuracy.variety`: it tells a generator that draws one face per tag set from one that varies."""

import keras
import numpy as np

from benchmarks import tag_accuracy
from keras_animegan import TaggedDCGAN
from keras_animegan.utils.tags import TagVocabulary

SIZE = 32
ROWS = [["blue_hair", "long_hair"]] * 6 + [["red_hair", "short_hair"]] * 6


def features():
    """A stand-in feature model: the image itself, flattened (the benchmark uses VGG16's pooled features)."""
    inputs = keras.Input((SIZE, SIZE, 3))
    return keras.Model(inputs, keras.layers.Flatten()(inputs + 2.0))


def test_mean_cosine_distance():
    assert abs(tag_accuracy.mean_cosine_distance(np.ones((4, 3)))) < 1e-12
    assert abs(tag_accuracy.mean_cosine_distance(np.eye(3)) - 1.0) < 1e-12


def test_a_generator_that_ignores_its_noise_scores_below_one_that_uses_it(monkeypatch):
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (len(ROWS), SIZE, SIZE, 3)).astype(np.float32)
    model = TaggedDCGAN(tag_vocabulary=TagVocabulary.from_rows(ROWS), latent_dim=8, image_size=SIZE, base_filters=4)
    one_face = np.full((SIZE, SIZE, 3), 0.3, np.float32)

    def varied(model, tag_lists, seeds):
        return np.stack([np.random.default_rng(int(s)).uniform(-1, 1, (SIZE, SIZE, 3)) for s in seeds]).astype(np.float32)

    monkeypatch.setattr(tag_accuracy, "generate", varied)
    as_real = tag_accuracy.variety(model, real, ROWS, features(), num_sets=2, per_set=5)
    monkeypatch.setattr(tag_accuracy, "generate", lambda model, tag_lists, seeds: np.stack([one_face] * len(seeds)))
    collapsed = tag_accuracy.variety(model, real, ROWS, features(), num_sets=2, per_set=5)
    assert sorted(as_real["per_set"]) == ["blue_hair long_hair", "red_hair short_hair"]
    assert 0.8 < as_real["ratio"] < 1.25  # random images against random images
    assert collapsed["ratio"] < 1e-6


def test_the_real_model_is_asked_for_each_tag_set():
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (len(ROWS), SIZE, SIZE, 3)).astype(np.float32)
    model = TaggedDCGAN(tag_vocabulary=TagVocabulary.from_rows(ROWS), latent_dim=8, image_size=SIZE, base_filters=4)
    result = tag_accuracy.variety(model, real, ROWS, features(), num_sets=1, per_set=6)
    assert list(result["per_set"]) == ["blue_hair long_hair"] and result["ratio"] > 0.0
