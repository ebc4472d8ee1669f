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
    """One `fit` step; returns its logged losses and the weights in creation order (auto-generated names differ)."""
    history = model.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1, steps_per_epoch=1, verbose=0)
    weights = [(w.path, w.numpy()) for w in model.weights if "seed_generator" not in w.path]
    return {name: values[-1] for name, values in history.history.items()}, weights


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_two_replicas_match_one_device(mirrored_strategy, name, dtype):
    """float32 checks what users run; float64 (rounding ~1e-16) shows the step is the same math.

    In float32, rounding differences between the two batch splits can flip the
    sign at a kink (ReLU, L1) and change an update by ~1e-4 of the largest one;
    float64 leaves no such room, so its tolerance is 1e-9. This is how a
    per-replica style target in CartoonGAN (a real difference of the same
    size) was told apart from rounding. The weights are seeded: a fixed case.
    """
    strategy = mirrored_strategy
    make, batch = CASES[name]
    keras.utils.set_random_seed(0)
    keras.mixed_precision.set_dtype_policy(dtype)  # the autouse fixture restores float32
    single = make()
    single.compile(g_optimizer=sgd(), d_optimizer=sgd())
    with strategy.scope():
        mirrored = make()
        mirrored.compile(g_optimizer=sgd(), d_optimizer=sgd())
    mirrored.set_weights(single.get_weights())
    assert strategy.num_replicas_in_sync == 2

    initial = [w.numpy().copy() for w in single.weights if "seed_generator" not in w.path]
    expected_logs, expected = one_step(single, batch())
    logs, got = one_step(mirrored, batch())
    assert [w.shape for _, w in expected] == [w.shape for _, w in got]
    assert {w.dtype for _, w in got if w.dtype.kind == "f"} == {np.dtype(dtype)}, "the policy did not reach every weight"
    # The logged losses are the global batch's: replica means of equal halves, averaged
    # (the loss trackers are float32 metrics in both policies).
    assert sorted(logs) == sorted(expected_logs)
    for key, want in expected_logs.items():
        assert logs[key] == pytest.approx(want, rel=1e-5, abs=1e-7), f"{name} {dtype}: {key}"
    moved = [path for (path, w), w0 in zip(expected, initial) if not np.allclose(w, w0)]
    assert len(moved) > len(expected) // 3, "the step changed too few weights to compare"
    # Tolerance relative to the largest change anywhere: a conv bias right before a
    # normalization has a mathematically zero gradient, i.e. rounding noise only.
    scale = max(np.abs(want - w0).max() for (_, want), w0 in zip(expected, initial))
    rtol, atol = (1e-3, 1e-4 * scale) if dtype == "float32" else (1e-9, 1e-10 * scale)
    for (path, want), (_, value), w0 in zip(expected, got, initial):
        np.testing.assert_allclose(value - w0, want - w0, rtol=rtol, atol=atol, err_msg=f"{name} {dtype}: {path}")


def test_cross_replica_mean_is_the_global_batch_mean(mirrored_strategy):
    """What CartoonGAN's style target relies on: each replica gets the mean over all replicas' values."""
    from keras_animegan.models.gan_model import GANModel

    def replica_fn():
        replica = tf.cast(tf.distribute.get_replica_context().replica_id_in_sync_group, tf.float32)
        return GANModel.cross_replica_mean(tf.fill((1, 2, 2), replica * 4.0 + 1.0))  # replica 0: 1, replica 1: 5

    per_replica = mirrored_strategy.experimental_local_results(tf.function(lambda: mirrored_strategy.run(replica_fn))())
    assert len(per_replica) == 2
    for value in per_replica:
        np.testing.assert_array_equal(value.numpy(), np.full((1, 2, 2), 3.0))
    np.testing.assert_array_equal(GANModel.cross_replica_mean(tf.ones((2,))).numpy(), [1.0, 1.0])  # no strategy
