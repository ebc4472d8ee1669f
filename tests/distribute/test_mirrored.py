"""Each GAN's step under MirroredStrategy (two logical CPUs) equals one device with the same global batch.

The two replicas each see half of the global batch; losses are scaled by the
replica count, batch statistics are all-reduced (`SyncBatchNormalization`) and
DCGAN's noise is the global batch's noise sliced per replica, so after one
step every weight change (trainable weights, BN moving statistics, the
CycleGAN image pools) must match the single-device step's.

The optimizers are plain SGD: Adam's first step is lr * sign(gradient), which
turns float-rounding noise in (mathematically zero) gradients, e.g. of a conv
bias right before a normalization, into full-size differences.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CartoonGAN
from keras_animegan import CycleGAN
from keras_animegan import DCGAN
from tests.models.test_cartoongan import tiny_features

SIZE, GLOBAL_BATCH = 32, 4


def images(seed):
    return tf.random.stateless_uniform((GLOBAL_BATCH, SIZE, SIZE, 3), (seed, 5), minval=-1, maxval=1)


def make_dcgan():
    return DCGAN(latent_dim=16, image_size=SIZE, base_filters=4, seed=1)


def make_cyclegan():
    return CycleGAN(image_size=SIZE, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=3, seed=0)


def make_cartoongan(norm="instance"):
    return CartoonGAN(tiny_features(), image_size=SIZE, base_filters=4, num_blocks=1, norm=norm, init_steps=0, seed=0)


CASES = {
    "dcgan": (make_dcgan, lambda: images(1)),
    "cyclegan": (make_cyclegan, lambda: (images(1), images(2))),
    "cartoongan": (make_cartoongan, lambda: (images(1), images(2), images(3))),
    "cartoongan_batchnorm": (lambda: make_cartoongan("batch"), lambda: (images(1), images(2), images(3))),
}


def sgd():
    return keras.optimizers.SGD(learning_rate=0.1)


def one_step(model, batch):
    model.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1, steps_per_epoch=1, verbose=0)
    # In creation order (auto-generated layer names differ between the two models).
    return [(w.path, w.numpy()) for w in model.weights if "seed_generator" not in w.path]


@pytest.mark.parametrize("name", sorted(CASES))
def test_two_replicas_match_one_device(mirrored_strategy, name):
    strategy = mirrored_strategy
    make, batch = CASES[name]
    single = make()
    single.compile(g_optimizer=sgd(), d_optimizer=sgd())
    with strategy.scope():
        mirrored = make()
        mirrored.compile(g_optimizer=sgd(), d_optimizer=sgd())
    mirrored.set_weights(single.get_weights())
    assert strategy.num_replicas_in_sync == 2

    initial = [w.numpy().copy() for w in single.weights if "seed_generator" not in w.path]
    expected = one_step(single, batch())
    got = one_step(mirrored, batch())
    assert [w.shape for _, w in expected] == [w.shape for _, w in got]
    moved = [path for (path, w), w0 in zip(expected, initial) if not np.allclose(w, w0)]
    assert len(moved) > len(expected) // 3, "the step changed too few weights to compare"
    # Tolerance relative to the largest change anywhere: a conv bias right before a
    # normalization has a mathematically zero gradient, i.e. rounding noise only.
    scale = max(np.abs(want - w0).max() for (_, want), w0 in zip(expected, initial))
    for (path, want), (_, value), w0 in zip(expected, got, initial):
        np.testing.assert_allclose(value - w0, want - w0, rtol=1e-3, atol=1e-4 * scale, err_msg=f"{name}: {path}")
