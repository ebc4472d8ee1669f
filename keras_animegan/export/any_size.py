"""Translating an image of any size: one policy, with an adapter per runtime.

The policy:

- a translator of a fixed size (its input shape says so) sees the image resized to that size
  (bilinear, antialiased), and its output is resized back to the image's size; at its own size
  nothing is resized;
- a fully convolutional translator (input size None) runs at the image's own size, padded
  (symmetric) to a multiple of `SIZE_MULTIPLE` and cropped back; an image over `MAX_WORK_PIXELS`
  is scaled down to a multiple of `SIZE_MULTIPLE` under that budget first, and its output scaled
  back up, so memory stays bounded.

`plan(height, width, network_size)` states it once in plain Python. The adapters carry it out:
`translate_tf` in TensorFlow ops (inside SavedModel signatures, where sizes are tensors),
`translate_keras` with `keras.ops` on NumPy batches (every Keras backend), and `translate_fixed`
for runtimes that hold one fixed-size function (LiteRT files). `tests/serving/test_any_size.py`
checks that they agree.
"""

import numpy as np

# Fully convolutional translators downsample twice by 2: their inputs are padded to a multiple of 4.
SIZE_MULTIPLE = 4

# Fully convolutional translators run on at most this many pixels per image (1 megapixel: about 1 GB of
# activations for the photo translator); larger inputs are scaled down for the network and back up after.
MAX_WORK_PIXELS = 1024 * 1024


def network_size(network):
    """`(height, width)` a network takes, or None when it is fully convolutional (input size None)."""
    size = tuple(network.input_shape[1:3])
    return None if None in size else tuple(int(d) for d in size)


def plan(height, width, fixed_size=None):
    """`(work size, padding)`: the `(h, w)` the network runs at and the `(pad_h, pad_w)` added to it.

    `fixed_size` is the network's own `(h, w)`, or None for a fully convolutional one.
    """
    if fixed_size is not None:
        return tuple(fixed_size), (0, 0)
    size = (height, width)
    if height * width > MAX_WORK_PIXELS:
        scale = (MAX_WORK_PIXELS / (height * width)) ** 0.5
        size = tuple(max(int(d * scale // SIZE_MULTIPLE), 1) * SIZE_MULTIPLE for d in (height, width))
    return size, tuple(-d % SIZE_MULTIPLE for d in size)


# ------------------------------------------------------------------ keras.ops (NumPy batches, any backend)
def translate_keras(network, images):
    """float [-1, 1] `(n, h, w, 3)` NumPy -> the same shape through `network`, eagerly, on any Keras backend."""
    from keras import ops

    images = np.asarray(images, np.float32)
    height, width = images.shape[1:3]
    fixed = network_size(network)
    (work_h, work_w), (pad_h, pad_w) = plan(height, width, fixed)
    resized = (work_h, work_w) != (height, width)
    x = ops.image.resize(images, (work_h, work_w), interpolation="bilinear", antialias=True) if resized else images
    if pad_h or pad_w:
        x = np.pad(np.asarray(ops.convert_to_numpy(x), np.float32), [(0, 0), (0, pad_h), (0, pad_w), (0, 0)],
                   mode="symmetric")
    outputs = ops.cast(network(x, training=False), "float32")[:, :work_h, :work_w, :]
    if resized:
        # Down from a fixed size: antialiased, as the input; up from a scaled-down photo: plain bilinear.
        outputs = ops.image.resize(outputs, (height, width), interpolation="bilinear", antialias=fixed is not None)
    return np.clip(np.asarray(ops.convert_to_numpy(outputs), np.float32), -1.0, 1.0)


# ------------------------------------------------------------------------ TensorFlow graph (SavedModels)
def translate_tf(network, images):
    """`translate_keras` in TensorFlow ops, for signatures whose input size is only known at run time."""
    import tensorflow as tf

    images = tf.cast(images, tf.float32)
    fixed = network_size(network)
    input_size = tf.shape(images)[1:3]
    if fixed is not None:
        same = tf.reduce_all(tf.equal(input_size, fixed))
        resized = tf.cond(same, lambda: images, lambda: tf.image.resize(images, fixed, antialias=True))
        outputs = tf.cast(network(tf.ensure_shape(resized, (None,) + fixed + (3,)), training=False), tf.float32)
        outputs = tf.cond(same, lambda: outputs, lambda: tf.image.resize(outputs, input_size, antialias=True))
        return tf.clip_by_value(outputs, -1.0, 1.0)
    height, width = input_size[0], input_size[1]
    pixels = tf.cast(height, tf.float64) * tf.cast(width, tf.float64)

    def scaled():
        scale = tf.sqrt(MAX_WORK_PIXELS / pixels)
        # A multiple of SIZE_MULTIPLE at or under the budget, so padding adds nothing to it.
        size = tf.cast(tf.floor(tf.cast(input_size, tf.float64) * scale / SIZE_MULTIPLE), tf.int32)
        small = tf.image.resize(images, tf.maximum(size, 1) * SIZE_MULTIPLE, antialias=True)
        return tf.image.resize(_padded_tf(network, small), input_size)

    return tf.clip_by_value(tf.cond(pixels > MAX_WORK_PIXELS, scaled, lambda: _padded_tf(network, images)), -1.0, 1.0)


def _padded_tf(network, images):
    import tensorflow as tf

    height, width = tf.shape(images)[1], tf.shape(images)[2]
    padded = tf.pad(images, [[0, 0], [0, -height % SIZE_MULTIPLE], [0, -width % SIZE_MULTIPLE], [0, 0]],
                    mode="SYMMETRIC")
    return tf.cast(network(padded, training=False), tf.float32)[:, :height, :width, :]


# ------------------------------------------------------------- one fixed-size function (LiteRT files)
def translate_fixed(run, image, size):
    """One `(h, w, 3)` image (uint8 or float) through `run`, a function of `(1, size, size, 3)` batches.

    Resized to `size` (area when shrinking, cubic when enlarging: OpenCV's best for each) and back;
    the result has the image's own size and dtype.
    """
    import cv2

    height, width = image.shape[:2]
    same = (height, width) == (size, size)
    small = image if same else cv2.resize(
        image, (size, size), interpolation=cv2.INTER_AREA if min(height, width) > size else cv2.INTER_CUBIC)
    out = run(small[None])[0]
    return out if same else cv2.resize(out, (width, height), interpolation=cv2.INTER_CUBIC)
