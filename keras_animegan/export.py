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

import keras
import tensorflow as tf

from keras_animegan.utils.pixels import to_uint8
from keras_animegan.utils.pixels import to_unit_range

# Largest image a `translate_bytes` request may decode (pixels); bigger ones are an error, not an OOM.
MAX_DECODED_PIXELS = 4096 * 4096


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
    """float [-1, 1] `(n, h, w, 3)` of any h, w -> the same shape, through `network` at its own size.

    Inputs of another size are resized (bilinear, antialiased) to the network's
    size and the outputs resized back; at the network's size nothing is resized.
    """
    size = tuple(int(d) for d in network.input_shape[1:3])
    images = tf.cast(images, tf.float32)
    input_size = tf.shape(images)[1:3]
    same = tf.reduce_all(tf.equal(input_size, size))
    resized = tf.cond(same, lambda: images, lambda: tf.image.resize(images, size, antialias=True))
    resized = tf.ensure_shape(resized, (None,) + size + (3,))
    outputs = tf.cast(network(resized, training=False), tf.float32)
    outputs = tf.cond(same, lambda: outputs, lambda: tf.image.resize(outputs, input_size, antialias=True))
    return tf.clip_by_value(outputs, -1.0, 1.0)


def _image_endpoints(network):
    def translate(images):
        return translate_any_size(network, images)

    def translate_one_encoded(data):
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
                "image_bytes": tf.map_fn(translate_one_encoded, image_bytes, fn_output_signature=tf.string)
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
    if network is None:
        network = model.inference_network() if hasattr(model, "inference_network") else getattr(
            model, "generator", model)
    if int(version) < 1:
        raise ValueError(f"version must be a positive integer (TF Serving's version folders); got {version!r}.")
    path = os.path.join(os.fspath(export_dir), model_name, str(int(version)))
    tmp = f"{path}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    archive = keras.export.ExportArchive()
    archive.track(network)
    for name, fn, signature in serving_endpoints(network):
        archive.add_endpoint(name, fn, input_signature=signature)
    archive.write_out(tmp, verbose=False)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)
    return path
