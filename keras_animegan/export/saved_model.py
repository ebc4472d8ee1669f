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

`generate_images` and `generate_image_bytes` draw the noise of a seed with
`keras_animegan.utils.noise` in the graph: the same avatars as `model.sample(count, seed=seed)`
and `keras-animegan generate --seed` on every backend.

Output names ending in `_bytes` are what TF Serving's REST API returns as
`{"b64": ...}`; string inputs take `{"b64": ...}` in requests.
An upscaler (`Upscaler`, input kind `"upscale"`) has the image signatures, with outputs `scale` times
the input's size (no resizing; an input over `MAX_UPSCALE_PIXELS` is an error), and its manifest
holds its `scale`.

`saved_model_cli show --dir <path> --all` lists all of them.
"""

import os
import shutil
import tempfile

import numpy as np

from keras_animegan.export import register_format
from keras_animegan.export.any_size import translate_tf
from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.image_size import encoded_image_size_tf
from keras_animegan.utils.image_size import gif_frame_pixels_tf
from keras_animegan.utils import noise as seeded_noise
from keras_animegan.utils import optional
from keras_animegan.utils.versions import MANIFEST
from keras_animegan.utils.versions import read_manifest

tf = optional.tensorflow("SavedModel export")


def to_uint8(images):  # keras_animegan.utils.pixels, imported when a graph is traced (it imports Keras)
    from keras_animegan.utils import pixels

    return pixels.to_uint8(images)


def to_unit_range(images):
    from keras_animegan.utils import pixels

    return pixels.to_unit_range(images)

# Largest image a `translate_bytes` request may decode (pixels); bigger ones are an error, not an OOM.
MAX_DECODED_PIXELS = DEFAULT_MAX_PIXELS
# Largest image an upscaler's signatures take (pixels): its x4 result is 16 times as many.
MAX_UPSCALE_PIXELS = 1024 * 1024


class _TFOps:
    """`keras_animegan.utils.noise`'s arithmetic as TensorFlow ops (int64 exact, float64 transcendental)."""
    xor = staticmethod(lambda x, y: tf.bitwise.bitwise_xor(x, tf.cast(y, tf.int64)))
    shift = staticmethod(lambda x, n: tf.bitwise.right_shift(x, tf.constant(n, tf.int64)))
    mask = staticmethod(lambda x: tf.bitwise.bitwise_and(x, tf.constant(0xFFFFFFFF, tf.int64)))
    to_float = staticmethod(lambda x: tf.cast(x, tf.float64))
    log = staticmethod(lambda x: tf.math.log(x))  # lambdas: TensorFlow is imported on first use, not here
    cos = staticmethod(lambda x: tf.math.cos(x))
    sqrt = staticmethod(lambda x: tf.math.sqrt(x))


def seeded_noise_tf(count, seed, latent_dim):
    """`(count, latent_dim)` float32 noise of an int32 `seed` in the graph: `utils.noise.standard_normal`'s values."""
    count = tf.maximum(tf.cast(count, tf.int32), 0)
    key = seeded_noise.seed_key(_TFOps.mask(tf.cast(seed, tf.int64)), _TFOps)
    counters = tf.range(tf.cast(count, tf.int64) * latent_dim, dtype=tf.int64)
    values = seeded_noise.normal_from_counters(counters, key, _TFOps)
    return tf.reshape(tf.cast(values, tf.float32), tf.stack([count, latent_dim]))


def _noise_endpoints(network):
    latent_dim = int(network.input_shape[-1])

    def generate(noise):
        return network(noise, training=False)

    def noise_from(count, seed):
        return seeded_noise_tf(count, seed, latent_dim)

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


def _tags_endpoints(network, num_tags):
    """A tag-conditioned generator (one input: noise, then tags) served with separate `noise` and `tags` inputs."""
    width = int(network.input_shape[-1])
    latent_dim = width - int(num_tags)

    def generate(noise, tags):
        return network(tf.concat([tf.cast(noise, tf.float32), tf.cast(tags, tf.float32)], axis=1), training=False)

    def inputs_from(count, seed, tags):
        count = tf.maximum(tf.cast(count, tf.int32), 0)
        noise = seeded_noise_tf(count, seed, latent_dim)
        return noise, tf.tile(tf.reshape(tf.cast(tags, tf.float32), (1, num_tags)), tf.stack([count, 1]))

    pair = [tf.TensorSpec((None, latent_dim), tf.float32, name="noise"),
            tf.TensorSpec((None, num_tags), tf.float32, name="tags")]
    count_seed_tags = [tf.TensorSpec((), tf.int32, name="count"), tf.TensorSpec((), tf.int32, name="seed"),
                       tf.TensorSpec((num_tags,), tf.float32, name="tags")]
    return [
        ("serving_default", lambda noise, tags: {"images": to_uint8(generate(noise, tags))}, pair),
        ("generate_images", lambda count, seed, tags: {"images": to_uint8(generate(*inputs_from(count, seed, tags)))},
         count_seed_tags),
        (
            "generate_image_bytes",
            lambda count, seed, tags: {
                "image_bytes": tf.map_fn(tf.io.encode_png, to_uint8(generate(*inputs_from(count, seed, tags))),
                                         fn_output_signature=tf.string)
            },
            count_seed_tags,
        ),
        ("serve", lambda noise, tags: {"images": generate(noise, tags)}, pair),
    ]


def _upscale_tf(network, images):
    """[-1, 1] images of any size -> upscaled by the network, clipped; inputs over `MAX_UPSCALE_PIXELS` are an error."""
    images = tf.cast(images, tf.float32)
    shape = tf.shape(images)
    too_large = tf.debugging.assert_less_equal(
        tf.cast(shape[1], tf.int64) * tf.cast(shape[2], tf.int64), tf.constant(MAX_UPSCALE_PIXELS, tf.int64),
        message=f"image larger than {MAX_UPSCALE_PIXELS} pixels to upscale (its result would not fit in memory)")
    with tf.control_dependencies([too_large]):
        return tf.clip_by_value(tf.cast(network(images, training=False), tf.float32), -1.0, 1.0)


def _upscale_endpoints(network):
    return _image_endpoints(network, lambda images: _upscale_tf(network, images))


def _image_endpoints(network, run=None):
    def translate(images):
        return run(images) if run is not None else translate_tf(network, images)

    def translate_one_encoded(data):
        # The size comes from the header, before anything is decoded: a 1 MB PNG can claim 20,000 x 20,000
        # pixels, and decoding it first would allocate gigabytes.
        height_width = encoded_image_size_tf(data)
        too_large = tf.debugging.assert_less_equal(
            height_width[0] * height_width[1], tf.constant(MAX_DECODED_PIXELS, tf.int64),
            message=f"image larger than {MAX_DECODED_PIXELS} pixels (read from its header; not decoded)",
        )
        is_gif = tf.equal(tf.strings.substr(data, 0, 3), "GIF")
        largest, total = tf.cond(is_gif, lambda: gif_frame_pixels_tf(data),
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


def serving_endpoints(network, kind, tag_vocabulary=None):
    """`[(signature_name, fn, input_signature)]` for a generator network that takes `kind` ("noise", "tags" or
    "image"; "tags" needs the model's `tag_vocabulary` config)."""
    if kind not in ENDPOINTS:
        raise ValueError(f"A SavedModel export serves generators of {sorted(ENDPOINTS)} inputs; got {kind!r}.")
    if kind == "tags":
        if not tag_vocabulary:
            raise ValueError("A tag-conditioned generator's SavedModel needs its tag_vocabulary.")
        return _tags_endpoints(network, len(tag_vocabulary["tags"]))
    return ENDPOINTS[kind](network)


#: The signatures of each kind of generator input (`GANModel.input_kind`).
ENDPOINTS = {"noise": _noise_endpoints, "tags": _tags_endpoints, "image": _image_endpoints,
             "upscale": _upscale_endpoints}
#: Per kind: `{signature: scalar input that sets how many images it makes}` (a server bounds it, as a batch).
BATCH_SIZE_INPUTS = {"noise": {"generate_images": "count", "generate_image_bytes": "count"},
                     "tags": {"generate_images": "count", "generate_image_bytes": "count"}, "image": {},
                     "upscale": {}}


def write_manifest(path, kind, tag_vocabulary=None, scale=None):
    """Writes `MANIFEST` into the SavedModel folder `path`: the generator's input kind and batch-size inputs
    (and a tag-conditioned generator's vocabulary: its tags in input order, their groups and frequencies)."""
    import json

    os.makedirs(os.path.join(path, os.path.dirname(MANIFEST)), exist_ok=True)
    manifest = {"format_version": 1, "input_kind": kind, "batch_size_inputs": BATCH_SIZE_INPUTS[kind]}
    if tag_vocabulary:
        manifest["tag_vocabulary"] = tag_vocabulary
    if scale:
        manifest["scale"] = int(scale)
    from keras_animegan.utils import safe_files

    safe_files.write_json(os.path.join(path, MANIFEST), manifest, indent=2)


def export_generator(model, export_dir, model_name, version=1, network=None, kind=None, tag_vocabulary=None,
                     scale=None):
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
        kind: what the network takes, `"noise"`, `"tags"` or `"image"`; default the model's `input_kind`.
        tag_vocabulary: a tag-conditioned model's vocabulary config (default: the model's own).
        scale: an upscaler's factor (kind `"upscale"`; default the model's own), kept in the manifest.

    Returns:
        The path of the written SavedModel.

    Example:

    >>> path = export_generator(model, "exports", "dcgan")
    >>> loaded = tf.saved_model.load(path)
    >>> images = loaded.generate_images(count=4, seed=0)["images"]   # uint8 (4, 64, 64, 3)
    """
    import keras

    from keras_animegan.models import GANModel
    from keras_animegan.models import input_kind_of

    optional.require(tf)  # without TensorFlow: an error that names SavedModel export
    if network is None:
        network = model.inference_generator() if isinstance(model, GANModel) else model
    kind = kind or input_kind_of(model, network)
    if tag_vocabulary is None and isinstance(model, GANModel):
        tag_vocabulary = model.export_options().get("tag_vocabulary")
    if scale is None and isinstance(model, GANModel):
        scale = model.export_options().get("scale")
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
        for name, fn, signature in serving_endpoints(network, kind, tag_vocabulary):
            archive.add_endpoint(name, fn, input_signature=signature)
        archive.write_out(tmp, verbose=False)
        write_manifest(tmp, kind, tag_vocabulary, scale=scale if kind == "upscale" else None)
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


def matches(path):
    """Whether `path` names a SavedModel: a folder (a version folder, or a model folder of version folders)."""
    return os.path.isdir(os.fspath(path))


class SavedModelRunner:
    """A SavedModel written by `export_generator`, run as numpy in / numpy out in [-1, 1] (its `serve` signature).

    `kind` is read from the export's manifest (older exports: the signature's input name); a model
    folder of version folders loads its highest version. Raises ValueError naming the path when it is
    not one.
    """

    def __init__(self, path):
        from keras_animegan.utils.versions import saved_model_versions

        path = os.fspath(path)
        if not os.path.isdir(path):
            raise ValueError(f"{path!r}: no such SavedModel folder or .keras file.")
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            versions = saved_model_versions(path)
            if not versions:
                raise ValueError(f"{path!r} holds no saved_model.pb (nor version folders with one).")
            path = versions[max(versions)]
        self.path = path
        self.loaded = tf.saved_model.load(path)
        if "serve" not in self.loaded.signatures:
            raise ValueError(f"{path!r} has no 'serve' signature: export it with keras_animegan.export.")
        self.signature = self.loaded.signatures["serve"]
        name, spec = next(iter(self.signature.structured_input_signature[1].items()))
        manifest = read_manifest(path) or {}  # older exports: the kind from the input's name
        self.kind = manifest.get("input_kind") or ("noise" if name == "noise" else "image")
        self.tag_vocabulary = manifest.get("tag_vocabulary")
        self.scale = int(manifest.get("scale") or 1)
        if self.kind in ("noise", "tags"):
            specs = self.signature.structured_input_signature[1]
            self.latent_dim = int(specs["noise"].shape[-1]) if "noise" in specs else int(spec.shape[-1])
            self.output_size = int(self.signature.structured_outputs["images"].shape[1])
        if self.kind == "tags" and not self.tag_vocabulary:
            raise ValueError(f"{path!r} is a tag-conditioned generator without its tag vocabulary in {MANIFEST}.")

    def __call__(self, inputs):
        """float32 inputs -> float32 images in [-1, 1]. A `"tags"` generator takes the noise with the tag vector
        appended, `(n, latent_dim + num_tags)`, as the Keras model does."""
        if self.kind == "tags":
            inputs = np.asarray(inputs, np.float32)
            return self.signature(noise=tf.constant(inputs[:, :self.latent_dim]),
                                  tags=tf.constant(inputs[:, self.latent_dim:]))["images"].numpy()
        return self.signature(tf.constant(inputs, tf.float32))["images"].numpy()


def export(network, kind, export_dir, name, version=1, tag_vocabulary=None, scale=None, **unused):
    """The format's export call (see `keras_animegan.export.export_model`): `{name: path}`."""
    return {name: export_generator(network, export_dir, name, version=version, network=network, kind=kind,
                                   tag_vocabulary=tag_vocabulary, scale=scale)}


register_format("saved_model", label="SavedModel", module=__name__,
                writes="`<export_dir>/<name>/<version>/`: TF Serving's layout, with its signatures",
                loader=SavedModelRunner, accepts=matches, file_kind="SavedModel")
