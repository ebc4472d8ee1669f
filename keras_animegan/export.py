"""Export generators as SavedModels for TF Serving, with named signatures.

Layout: `<export_dir>/<model_name>/<version>/` (what TF Serving's
`--model_base_path=<export_dir>/<model_name>` expects). Only the generator's
variables are exported: no discriminator, no optimizer state.

Signatures of a noise -> image generator (DCGAN):

| name                   | inputs                                     | outputs                             |
|------------------------|--------------------------------------------|-------------------------------------|
| `serving_default`      | `noise`: float32 `(n, latent_dim)`         | `images`: uint8 `(n, s, s, 3)`      |
| `generate_images`      | `count`: int32 `()`, `seed`: int32 `()`    | `images`: uint8 `(count, s, s, 3)`  |
| `generate_image_bytes` | `count`: int32 `()`, `seed`: int32 `()`    | `image_bytes`: PNG strings `(count,)` |
| `serve`                | `noise`: float32 `(n, latent_dim)`         | `images`: float32 in [-1, 1]        |

Signatures of an image -> image generator (CycleGAN, CartoonGAN); images of
any size are resized to the network's size inside the graph and the result
is resized back to the input's size:

| name              | inputs                                        | outputs                                |
|-------------------|-----------------------------------------------|----------------------------------------|
| `serving_default` | `images`: uint8 `(n, h, w, 3)`                | `images`: uint8 `(n, h, w, 3)`         |
| `translate_bytes` | `image_bytes`: string `(n,)` (PNG/JPEG/GIF/BMP) | `image_bytes`: PNG strings `(n,)`, each at its input's size |
| `serve`           | `images`: float32 `(n, h, w, 3)` in [-1, 1]   | `images`: float32 `(n, h, w, 3)` in [-1, 1] |

Output names ending in `_bytes` are what TF Serving's REST API returns as
`{"b64": ...}`; string inputs take `{"b64": ...}` in requests.
`saved_model_cli show --dir <path> --all` lists all of them.
"""

import os
import shutil
import tempfile

import keras

from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.pixels import to_uint8
from keras_animegan.utils.pixels import to_unit_range
from keras_animegan.utils import optional

tf = optional.tensorflow("SavedModel export")

# Largest image a `translate_bytes` request may decode (pixels); bigger ones are an error, not an OOM.
MAX_DECODED_PIXELS = DEFAULT_MAX_PIXELS


def _is_noise_network(network):
    return len(network.input_shape) == 2


def _noise_endpoints(network):
    latent_dim = int(network.input_shape[-1])

    def generate(noise):
        return network(noise, training=False)

    def noise_from(count, seed):
        count = tf.maximum(tf.cast(count, tf.int32), 0)
        return tf.random.stateless_normal((count, latent_dim), seed=tf.stack([tf.cast(seed, tf.int32), 0]))

    noise_spec = [tf.TensorSpec((None, latent_dim), tf.float32, name="noise")]
    count_seed = [tf.TensorSpec((), tf.int32, name="count"), tf.TensorSpec((), tf.int32, name="seed")]
    return [
        ("serving_default", lambda noise: {"images": to_uint8(generate(noise))}, noise_spec),
        ("generate_images", lambda count, seed: {"images": to_uint8(generate(noise_from(count, seed)))}, count_seed),
        (
            "generate_image_bytes",
            lambda count, seed: {
                "image_bytes": tf.map_fn(tf.io.encode_png, to_uint8(generate(noise_from(count, seed))),
                                         fn_output_signature=tf.string)
            },
            count_seed,
        ),
        ("serve", lambda noise: {"images": generate(noise)}, noise_spec),
    ]


def translate_any_size(network, images):
    """float [-1, 1] `(n, h, w, 3)` of any h, w -> the same shape, through `network`.

    A network of a fixed size: inputs of another size are resized (bilinear,
    antialiased) to the network's size and the outputs resized back; at the
    network's size nothing is resized. A fully convolutional network (input
    size None) runs at the input's own size, padded by reflection to a multiple
    of `SIZE_MULTIPLE` and cropped back.
    """
    images = tf.cast(images, tf.float32)
    if None in tuple(network.input_shape[1:3]):
        return tf.clip_by_value(_translate_bounded(network, images), -1.0, 1.0)
    size = tuple(int(d) for d in network.input_shape[1:3])
    input_size = tf.shape(images)[1:3]
    same = tf.reduce_all(tf.equal(input_size, size))
    resized = tf.cond(same, lambda: images, lambda: tf.image.resize(images, size, antialias=True))
    resized = tf.ensure_shape(resized, (None,) + size + (3,))
    outputs = tf.cast(network(resized, training=False), tf.float32)
    outputs = tf.cond(same, lambda: outputs, lambda: tf.image.resize(outputs, input_size, antialias=True))
    return tf.clip_by_value(outputs, -1.0, 1.0)


# Fully convolutional translators downsample twice by 2: their inputs are padded to a multiple of 4.
SIZE_MULTIPLE = 4


# Fully convolutional translators run on at most this many pixels per image (1 megapixel: about 1 GB of
# activations for the photo translator); larger inputs are scaled down for the network and back up after.
MAX_WORK_PIXELS = 1024 * 1024


def _translate_bounded(network, images):
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    pixels = tf.cast(height, tf.float64) * tf.cast(width, tf.float64)

    def scaled():
        scale = tf.sqrt(MAX_WORK_PIXELS / pixels)
        # A multiple of SIZE_MULTIPLE at or under the budget, so padding adds nothing to it.
        size = tf.cast(tf.floor(tf.cast(tf.stack([height, width]), tf.float64) * scale / SIZE_MULTIPLE), tf.int32)
        size = tf.maximum(size, 1) * SIZE_MULTIPLE
        small = tf.image.resize(images, size, antialias=True)
        return tf.image.resize(_translate_padded(network, small), tf.stack([height, width]))

    return tf.cond(pixels > MAX_WORK_PIXELS, scaled, lambda: _translate_padded(network, images))


def _translate_padded(network, images):
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    pad_h, pad_w = -height % SIZE_MULTIPLE, -width % SIZE_MULTIPLE
    padded = tf.pad(images, [[0, 0], [0, pad_h], [0, pad_w], [0, 0]], mode="SYMMETRIC")
    outputs = tf.cast(network(padded, training=False), tf.float32)
    return outputs[:, :height, :width, :]


def _le(head, offset, length):
    """Unsigned little-endian integer of `length` bytes at `offset` of a (padded) header string."""
    raw = tf.cast(tf.io.decode_raw(tf.strings.substr(head, offset, length), tf.uint8), tf.int64)
    return tf.reduce_sum(raw * tf.constant([256**i for i in range(length)], tf.int64))


def _be(head, offset, length):
    raw = tf.cast(tf.io.decode_raw(tf.strings.substr(head, offset, length), tf.uint8), tf.int64)
    return tf.reduce_sum(raw * tf.constant([256**i for i in reversed(range(length))], tf.int64))


_HEADER_BYTES = 64


def encoded_image_size(data):
    """`[height, width]` (int64) of an encoded image from its header, without decoding it; `[-1, -1]` if unknown.

    PNG (IHDR), GIF (logical screen), BMP (DIB header), WebP (VP8 / VP8L / VP8X)
    and JPEG (its SOF marker, via `tf.image.extract_jpeg_shape`). Any other
    bytes give `[-1, -1]`; `tf.io.decode_image` then refuses them on its own.
    """
    padding = "\0" * _HEADER_BYTES
    head = tf.strings.substr(tf.strings.join([tf.strings.substr(data, 0, _HEADER_BYTES), padding]), 0, _HEADER_BYTES)

    def starts(offset, magic):
        return tf.equal(tf.strings.substr(head, offset, len(magic)), magic)

    def size(height, width):
        return lambda: tf.stack([height(), width()])

    def bmp():
        core = tf.equal(_le(head, 14, 4), 12)  # BITMAPCOREHEADER: 16-bit sizes
        height = tf.where(core, _le(head, 20, 2), _le(head, 22, 4))
        height = tf.where(height >= 2**31, 2**32 - height, height)  # negative height: a top-down bitmap
        return tf.stack([height, tf.where(core, _le(head, 18, 2), _le(head, 18, 4))])

    def webp():
        chunk = tf.strings.substr(head, 12, 4)
        vp8l = _le(head, 21, 4)
        return tf.case([
            (tf.equal(chunk, "VP8X"), lambda: tf.stack([_le(head, 27, 3) + 1, _le(head, 24, 3) + 1])),
            (tf.equal(chunk, "VP8L"), lambda: tf.stack([(vp8l // 2**14) % 2**14 + 1, vp8l % 2**14 + 1])),
            (tf.equal(chunk, "VP8 "), lambda: tf.stack([_le(head, 28, 2) % 2**14, _le(head, 26, 2) % 2**14])),
        ], default=lambda: tf.constant([-1, -1], tf.int64))

    return tf.case([
        (starts(0, b"\x89PNG\r\n\x1a\n"), size(lambda: _be(head, 20, 4), lambda: _be(head, 16, 4))),
        (starts(0, b"GIF"), size(lambda: _le(head, 8, 2), lambda: _le(head, 6, 2))),
        (starts(0, b"BM"), bmp),
        (tf.logical_and(starts(0, b"RIFF"), starts(8, b"WEBP")), webp),
        (starts(0, b"\xff\xd8"), lambda: tf.cast(tf.image.extract_jpeg_shape(data)[:2], tf.int64)),
    ], default=lambda: tf.constant([-1, -1], tf.int64))


def _gif_frame_pixels(data):
    """`(largest, total)` pixels (int64) of a GIF's frames, from their image descriptors, without decoding.

    A GIF frame may be far larger than the logical screen that
    `encoded_image_size` reads, and TensorFlow's GIF decoder allocates every
    frame, so the graph walks the blocks: extensions and each frame's LZW data
    are skipped by their sub-block lengths (the same walk as
    `keras_animegan.utils.image_size`, in TensorFlow ops).
    """
    raw = tf.cast(tf.io.decode_raw(data, tf.uint8), tf.int64)
    n = tf.shape(raw, out_type=tf.int64)[0]

    def at(i):  # the byte at i, or -1 past the end
        return tf.where(i < n, tf.gather(raw, tf.clip_by_value(i, 0, tf.maximum(n - 1, 0))), -1)

    def u16(i):
        return tf.maximum(at(i), 0) + 256 * tf.maximum(at(i + 1), 0)

    def skip_sub_blocks(i):
        i = tf.while_loop(lambda i: at(i) > 0, lambda i: [i + at(i) + 1], [i])[0]
        return i + 1

    def table(flags):  # size of a colour table announced by `flags`
        return tf.where(tf.bitwise.bitwise_and(flags, 0x80) > 0,
                        3 * tf.bitwise.left_shift(tf.constant(2, tf.int64), tf.bitwise.bitwise_and(flags, 7)), 0)

    def step(i, largest, total):
        block = at(i)

        def image():
            pixels = (u16(i + 1) + u16(i + 5)) * (u16(i + 3) + u16(i + 7))
            j = skip_sub_blocks(i + 10 + table(at(i + 9)) + 1)
            return j, tf.maximum(largest, pixels), total + pixels

        return tf.cond(tf.equal(block, 0x2C), image, lambda: (skip_sub_blocks(i + 2), largest, total))

    def more(i, largest, total):
        block = at(i)
        return tf.logical_or(tf.equal(block, 0x21), tf.equal(block, 0x2C))

    zero = tf.constant(0, tf.int64)
    _, largest, total = tf.while_loop(more, step, [13 + table(at(tf.constant(10, tf.int64))), zero, zero])
    return largest, total


def _image_endpoints(network):
    def translate(images):
        return translate_any_size(network, images)

    def translate_one_encoded(data):
        # The size comes from the header, before anything is decoded: a 1 MB PNG can claim 20,000 x 20,000
        # pixels, and decoding it first would allocate gigabytes.
        height_width = encoded_image_size(data)
        too_large = tf.debugging.assert_less_equal(
            height_width[0] * height_width[1], tf.constant(MAX_DECODED_PIXELS, tf.int64),
            message=f"image larger than {MAX_DECODED_PIXELS} pixels (read from its header; not decoded)",
        )
        is_gif = tf.equal(tf.strings.substr(data, 0, 3), "GIF")
        largest, total = tf.cond(is_gif, lambda: _gif_frame_pixels(data),
                                 lambda: (tf.constant(0, tf.int64), tf.constant(0, tf.int64)))
        frame_too_large = tf.debugging.assert_less_equal(
            largest, tf.constant(MAX_DECODED_PIXELS, tf.int64),
            message=f"GIF frame larger than {MAX_DECODED_PIXELS} pixels (read from its header; not decoded)")
        frames_too_large = tf.debugging.assert_less_equal(
            total, tf.constant(4 * MAX_DECODED_PIXELS, tf.int64),
            message=f"GIF frames larger than {4 * MAX_DECODED_PIXELS} pixels in all (read from their headers; "
                    "not decoded)")
        with tf.control_dependencies([too_large, frame_too_large, frames_too_large]):
            image = tf.io.decode_image(data, channels=3, expand_animations=False)
        shape = tf.shape(image)
        tf.debugging.assert_less_equal(
            tf.cast(shape[0], tf.int64) * tf.cast(shape[1], tf.int64), tf.constant(MAX_DECODED_PIXELS, tf.int64),
            message=f"image larger than {MAX_DECODED_PIXELS} pixels",
        )
        image = tf.ensure_shape(image, (None, None, 3))
        return tf.io.encode_png(to_uint8(translate(to_unit_range(image)[None]))[0])

    image_spec = tf.TensorSpec((None, None, None, 3), tf.uint8, name="images")
    float_spec = tf.TensorSpec((None, None, None, 3), tf.float32, name="images")
    bytes_spec = tf.TensorSpec((None,), tf.string, name="image_bytes")
    return [
        ("serving_default", lambda images: {"images": to_uint8(translate(to_unit_range(images)))}, [image_spec]),
        (
            "translate_bytes",
            lambda image_bytes: {
                # One image at a time: memory is one image's, however many a request holds.
                "image_bytes": tf.map_fn(translate_one_encoded, image_bytes, fn_output_signature=tf.string,
                                         parallel_iterations=1)
            },
            [bytes_spec],
        ),
        ("serve", lambda images: {"images": translate(images)}, [float_spec]),
    ]


def serving_endpoints(network):
    """`[(signature_name, fn, input_signature)]` for a generator network (see the module docstring)."""
    return _noise_endpoints(network) if _is_noise_network(network) else _image_endpoints(network)


def export_generator(model, export_dir, model_name, version=1, network=None):
    """Writes a generator as a SavedModel at `<export_dir>/<model_name>/<version>/` with the signatures above.

    Args:
        model: a `GANModel` (or a generator `keras.Model` itself).
        export_dir: base export directory.
        model_name: the model's folder name (e.g. `"dcgan"`).
        version: integer version folder; an existing one is replaced atomically.
        network: the network to export; default `model.inference_network()`:
            the EMA generator when the model keeps one, else `model.generator`
            (for CycleGAN, `model.inference_network("generator_ba")` exports
            the B -> A direction).

    Returns:
        The path of the written SavedModel.

    Example:

    >>> path = export_generator(model, "exports", "dcgan")
    >>> loaded = tf.saved_model.load(path)
    >>> images = loaded.generate_images(count=4, seed=0)["images"]   # uint8 (4, 64, 64, 3)
    """
    optional.require(tf)  # without TensorFlow: an error that names SavedModel export
    if network is None:
        network = model.inference_network() if hasattr(model, "inference_network") else getattr(
            model, "generator", model)
    if int(version) < 1:
        raise ValueError(f"version must be a positive integer (TF Serving's version folders); got {version!r}.")
    path = os.path.join(os.fspath(export_dir), model_name, str(int(version)))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Written beside the old version under a name TF Serving ignores (not a number), then swapped in.
    tmp = tempfile.mkdtemp(prefix=f".{int(version)}.tmp-", dir=os.path.dirname(path))
    # mkdtemp makes the folder 0700; a version folder gets the usual mode (0755 with umask 022), so a
    # TF Serving process running as another user can read it.
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        archive = keras.export.ExportArchive()
        archive.track(network)
        for name, fn, signature in serving_endpoints(network):
            archive.add_endpoint(name, fn, input_signature=signature)
        archive.write_out(tmp, verbose=False)
        swap_in(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # after a swap: the old version
    return path


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a, b):
    """Atomically swaps two existing paths (Linux `renameat2(RENAME_EXCHANGE)`); False where unsupported."""
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd = -100
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def swap_in(new, path):
    """Makes the folder `new` appear at `path` in one step; the previous `path` (if any) ends up at `new`.

    A new version is one `rename`. An existing one is exchanged with the new in
    one `renameat2(RENAME_EXCHANGE)` on Linux, so a server watching the folder
    sees the old version or the new one, never a half-written or missing one.
    Elsewhere, the old version is renamed aside first (a brief gap).
    """
    if not os.path.exists(path):
        os.rename(new, path)
        return
    if _exchange(new, path):
        return
    aside = tempfile.mkdtemp(prefix=".old-", dir=os.path.dirname(path))
    os.rmdir(aside)
    os.rename(path, aside)
    os.rename(new, path)
    os.rename(aside, new)
