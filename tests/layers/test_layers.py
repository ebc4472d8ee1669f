"""Reflection padding and instance norm."""

import keras
import numpy as np
import pytest

from keras_animegan.layers import NarrowConv2D
from keras_animegan.layers import ReflectionPadding2D
from keras_animegan.layers import instance_norm


def test_reflection_padding_matches_numpy_reflect():
    x = np.arange(2 * 4 * 5 * 3, dtype=np.float32).reshape(2, 4, 5, 3)
    layer = ReflectionPadding2D((2, 1))
    expected = np.pad(x, [(0, 0), (2, 2), (1, 1), (0, 0)], mode="reflect")
    np.testing.assert_array_equal(layer(x), expected)
    assert layer.compute_output_shape((None, 4, 5, 3)) == (None, 8, 7, 3)
    clone = ReflectionPadding2D.from_config(layer.get_config())
    assert clone.padding == (2, 1)


def test_instance_norm_normalizes_each_image_and_channel():
    rng = np.random.default_rng(0)
    # Every (image, channel) has its own offset and scale.
    offsets = rng.uniform(-5, 5, size=(3, 1, 1, 4))
    scales = rng.uniform(0.1, 10, size=(3, 1, 1, 4))
    x = (rng.normal(size=(3, 8, 8, 4)) * scales + offsets).astype(np.float32)
    y = np.asarray(instance_norm()(x))
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(y.std(axis=(1, 2)), 1.0, atol=1e-3)
    # Layer norm (groups=1, keras-io's mistake) does not: channels keep their offsets.
    layer_norm = keras.layers.GroupNormalization(groups=1, center=False, scale=False)
    assert np.abs(np.asarray(layer_norm(x)).mean(axis=(1, 2))).max() > 0.1
    # Each image is normalized on its own: changing one image leaves the others' outputs alone.
    x2 = x.copy()
    x2[0] *= 100.0
    np.testing.assert_allclose(np.asarray(instance_norm()(x2))[1:], y[1:], atol=1e-5)


@pytest.mark.parametrize("policy, tol", [("mixed_float16", 1e-2), ("float32", 1e-5)])
def test_sync_batch_norm_fused_path_equals_keras_batch_norm(policy, tol):
    """One replica takes TF's fused kernel (float32, float16, bfloat16); checked against Keras's float32 BN."""
    import keras
    import tensorflow as tf

    from keras_animegan.layers import SyncBatchNormalization

    x = tf.random.stateless_normal((4, 6, 5, 3), (3, 4)) * 2 + 1
    ours = SyncBatchNormalization(momentum=0.9, dtype=policy)
    ref = keras.layers.BatchNormalization(momentum=0.9)
    for layer in (ours, ref):
        layer.build(x.shape)
        layer.set_weights([np.array([1.5, 0.5, 1.0], np.float32), np.array([0.1, -0.2, 0.3], np.float32),
                           np.zeros(3, np.float32), np.ones(3, np.float32)])
    ops_in_graph = {op.type for op in tf.function(lambda t: ours(t, training=True)).get_concrete_function(
        tf.TensorSpec(x.shape)).graph.get_operations()}
    assert "FusedBatchNormV3" in ops_in_graph, policy
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a, b = tf.cast(ours(x, training=True), tf.float32), ref(x, training=True)
        la, lb = tf.reduce_sum(a ** 3), tf.reduce_sum(b ** 3)
    np.testing.assert_allclose(a, b, atol=tol)
    for ga, gb in zip(tape.gradient(la, [x] + ours.trainable_weights), tape.gradient(lb, [x] + ref.trainable_weights)):
        np.testing.assert_allclose(ga, gb, rtol=2 * tol, atol=2 * tol)
    # Moving statistics (biased variance, as Keras; the graph above was traced, not run) and inference agree.
    for w_ours, w_ref in zip(ours.non_trainable_weights, ref.non_trainable_weights):
        np.testing.assert_allclose(w_ours, w_ref, rtol=min(tol, 1e-3), atol=min(tol, 1e-3))
    np.testing.assert_allclose(tf.cast(ours(x, training=False), tf.float32), ref(x, training=False), atol=tol)
    assert ours(x, training=True).dtype == (tf.float16 if policy == "mixed_float16" else tf.float32)
    # bf16 inputs stay bf16 in and out, statistics in float32.
    mixed = SyncBatchNormalization(dtype="mixed_bfloat16")
    out = mixed(tf.cast(x, tf.bfloat16), training=True)
    assert out.dtype == tf.bfloat16
    np.testing.assert_allclose(np.asarray(tf.cast(out, tf.float32)),
                               np.asarray(keras.layers.BatchNormalization()(x, training=True)), atol=0.05)


def test_layers_config_round_trips():
    """Every layer the package registers survives get_config / from_config and Keras (de)serialization."""
    from keras_animegan.layers import SyncBatchNormalization
    from keras_animegan.models import ImagePool
    from keras_animegan.models import VGGPreprocess
    from tests.testing import assert_layer_config_round_trip

    x = np.random.default_rng(0).uniform(-1, 1, (2, 4, 4, 3)).astype(np.float32)
    bn = SyncBatchNormalization(momentum=0.8, epsilon=1e-4, center=False)
    bn(x, training=True)  # moves the statistics away from their initial values
    clone = assert_layer_config_round_trip(bn, inputs=x)
    assert clone.momentum == 0.8 and clone.epsilon == 1e-4 and not clone.center
    for mode in ("caffe", "torch"):
        assert assert_layer_config_round_trip(VGGPreprocess(mode), inputs=x).mode == mode
    pool = assert_layer_config_round_trip(ImagePool(pool_size=3, image_shape=(4, 4, 3)))
    assert pool.pool_size == 3 and tuple(pool.image_shape) == (4, 4, 3)
    assert_layer_config_round_trip(ReflectionPadding2D((2, 1)), inputs=x)
    assert_layer_config_round_trip(NarrowConv2D(3, 3, padding="same"), inputs=x)


def test_bilinear_upsampling_2x_equals_keras_and_traces_with_unknown_sizes():
    import tensorflow as tf

    from keras_animegan.layers import BilinearUpsampling2x

    x = np.random.default_rng(0).normal(size=(2, 5, 7, 3)).astype("float32")
    expected = keras.layers.UpSampling2D(2, interpolation="bilinear")(x)
    np.testing.assert_allclose(BilinearUpsampling2x()(x), expected, atol=1e-5)
    traced = tf.function(lambda t: BilinearUpsampling2x()(t), input_signature=[tf.TensorSpec((None, None, None, 3))])
    np.testing.assert_allclose(traced(x), expected, atol=1e-5)


@pytest.mark.parametrize("padding, strides", [("valid", 1), ("same", 1), ("same", 2)])
def test_narrow_conv_trains_as_conv2d_does(padding, strides):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, 13, 11, 8)).astype(np.float32))
    narrow = NarrowConv2D(3, 5, strides=strides, padding=padding, activation="tanh")
    conv = keras.layers.Conv2D(3, 5, strides=strides, padding=padding, activation="tanh")
    narrow.build(x.shape)
    conv.build(x.shape)
    conv.set_weights([w + rng.normal(size=w.shape).astype(np.float32) for w in narrow.get_weights()])
    narrow.set_weights(conv.get_weights())
    assert narrow._matrix_gradients() == (strides == 1)  # strided convs keep Conv2D's own path

    def outputs_and_gradients(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * tf.cos(3.0 * y))  # a gradient that differs at every output
        return [y] + tape.gradient(loss, [x] + layer.trainable_weights)

    for mine, theirs in zip(outputs_and_gradients(narrow), outputs_and_gradients(conv)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(narrow(x), conv(x), atol=1e-5)  # inference: the plain conv
    assert NarrowConv2D.from_config(narrow.get_config()).get_config() == narrow.get_config()
