"""Tiny trained-for-one-step generators, saved (.keras) and exported (SavedModel) once for the serving tests."""

import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CycleGAN
from keras_animegan import DCGAN
from keras_animegan import TaggedDCGAN
from keras_animegan.export import export_generator
from keras_animegan.utils.tags import TagVocabulary

#: The tiny tagged model's training tags.
TAG_ROWS = [["blue_hair", "long_hair", "glasses"], ["red_hair", "short_hair"], ["blue_hair", "short_hair"]]

LATENT, SIZE = 16, 32


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    base = tmp_path_factory.mktemp("serving_models")
    dcgan = DCGAN(latent_dim=LATENT, image_size=SIZE, base_filters=4, seed=1)
    dcgan.compile()
    dcgan.fit(tf.random.uniform((4, SIZE, SIZE, 3), -1, 1, seed=1), batch_size=4, epochs=1, verbose=0)
    # DCGAN's N(0, 0.02) init makes a tiny untrained generator's images a flat grey (uint8 128):
    # scale the RGB layer so different noise gives visibly different uint8 images.
    to_rgb = dcgan.generator.get_layer("to_rgb")
    to_rgb.kernel.assign(to_rgb.kernel * 100.0)
    cyclegan = CycleGAN(image_size=SIZE, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=2, seed=0)
    cyclegan.compile()
    images = np.random.default_rng(0).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    cyclegan.fit(tf.data.Dataset.from_tensors((images, images[::-1])).repeat(), epochs=1, steps_per_epoch=1, verbose=0)
    tagged = TaggedDCGAN(tag_vocabulary=TagVocabulary.from_rows(TAG_ROWS), latent_dim=LATENT, image_size=SIZE,
                         base_filters=4, seed=1)
    to_rgb = tagged.generator.get_layer("to_rgb")
    to_rgb.kernel.assign(to_rgb.kernel * 100.0)  # visibly different images for different inputs (see above)
    dcgan.save(base / "dcgan.keras")
    cyclegan.save(base / "cyclegan.keras")
    tagged.save(base / "tagged.keras")
    return {
        "dir": base,
        "dcgan": dcgan,
        "cyclegan": cyclegan,
        "dcgan_export": export_generator(dcgan, base / "export", "dcgan"),
        "cyclegan_export": export_generator(cyclegan, base / "export", "cyclegan"),
        "tagged": tagged,
        "tagged_export": export_generator(tagged, base / "export", "tagged"),
    }
