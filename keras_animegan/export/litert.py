"""LiteRT (TFLite) export of generators, quantized or not, and a runner for the `.tflite` files.

One `.tflite` per generator and size, with two signatures (batch 1, what
phones run):

| generator | signature | input | output |
|---|---|---|---|
| noise -> image (DCGAN) | `serving_default` | `noise` float32 `(1, latent_dim)` | `images` uint8 `(1, s, s, 3)` |
| noise -> image (DCGAN) | `float` | `noise` float32 `(1, latent_dim)` | `images` float32 in [-1, 1] |
| image -> image | `serving_default` | `images` uint8 `(1, s, s, 3)` | `images` uint8 `(1, s, s, 3)` |
| image -> image | `float` | `images` float32 `(1, s, s, 3)` in [-1, 1] | `images` float32 in [-1, 1] |

An upscaler's file has the image signatures with outputs `scale` times the input's side (64 px in by
default); its model card says `"kind": "upscale"` and the scale, and `LiteRTGenerator.upscale_image`
runs an image of any size in tiles of the file's size.

(The float signature is not called `serve` as in the SavedModels: the converter drops a signature of
that name, SavedModel's tag.)

The uint8 signatures take and give pixels as apps hold them: no float
conversion on the phone. Quantization: `"none"` (float32), `"fp16"` (float16
weights) or `"int8"` (weights and activations in 8 bits where the ops allow,
calibrated on a representative set of inputs). Only LiteRT's builtin ops are
used, so the files run with the plain `ai-edge-litert` interpreter (no Flex
delegate).

>>> export_litert(model.inference_network(), "avatars.tflite", quantize="fp16")
>>> images = LiteRTGenerator("avatars.tflite").generate(noise)    # uint8
"""

import json
import os
import tempfile

import numpy as np

from keras_animegan.export import register_format
from keras_animegan.export.any_size import translate_fixed

QUANTIZATIONS = ("none", "fp16", "int8")
#: The input side an upscaler's file takes by default (the avatars' 64 px; its output is `scale` times that).
UPSCALE_SIZE = 64


def _signatures(network, size, noise, num_tags=0):
    import tensorflow as tf

    from keras_animegan.utils.pixels import to_uint8
    from keras_animegan.utils.pixels import to_unit_range

    def run(x):
        return tf.cast(network(x, training=False), tf.float32)

    if noise and num_tags:  # a tag-conditioned generator: its one input split into noise and tags
        width = int(network.input_shape[-1])
        pair = [tf.TensorSpec((1, width - num_tags), tf.float32, name="noise"),
                tf.TensorSpec((1, num_tags), tf.float32, name="tags")]

        def run_pair(noise, tags):
            return run(tf.concat([noise, tags], axis=1))

        return {
            "serving_default": tf.function(lambda noise, tags: {"images": to_uint8(run_pair(noise, tags))},
                                           input_signature=pair),
            "float": tf.function(lambda noise, tags: {"images": run_pair(noise, tags)}, input_signature=pair),
        }
    if noise:
        spec = tf.TensorSpec((1, int(network.input_shape[-1])), tf.float32, name="noise")
        return {
            "serving_default": tf.function(lambda noise: {"images": to_uint8(run(noise))}, input_signature=[spec]),
            "float": tf.function(lambda noise: {"images": run(noise)}, input_signature=[spec]),
        }
    shape = (1, size, size, 3)
    return {
        "serving_default": tf.function(
            lambda images: {"images": to_uint8(tf.clip_by_value(run(to_unit_range(images)), -1.0, 1.0))},
            input_signature=[tf.TensorSpec(shape, tf.uint8, name="images")]),
        "float": tf.function(lambda images: {"images": tf.clip_by_value(run(images), -1.0, 1.0)},
                             input_signature=[tf.TensorSpec(shape, tf.float32, name="images")]),
    }


def _kind(network, kind):
    if kind:
        return kind
    from keras_animegan.models import input_kind_of  # Keras: only when a network is exported

    return input_kind_of(network)


def default_size(network, kind=None):
    """The size a translator is exported at by default: its own, or 256 for a fully convolutional one (an
    upscaler: 64, the avatars' size)."""
    if _kind(network, kind) in ("noise", "tags"):
        return int(network.output_shape[1])
    if _kind(network, kind) == "upscale":
        return UPSCALE_SIZE
    size = network.input_shape[1]
    return int(size) if size is not None else 256


def export_litert(network, path, size=None, quantize="none", representative=None, card=None, kind=None,
                  tag_vocabulary=None, scale=None):
    """Writes `network` as a `.tflite` file at `path` (see the module docstring for its signatures).

    Args:
        network: a generator `keras.Model` (e.g. `model.inference_network()`).
        path: the `.tflite` file to write.
        size: the image side of a translator (default `default_size(network)`);
            a fixed-size network only takes its own size. Ignored for noise.
        quantize: `"none"`, `"fp16"` or `"int8"`.
        representative: for `"int8"`: float32 inputs in the network's range,
            shape `(n, latent_dim)` (noise) or `(n, size, size, 3)` in [-1, 1];
            a few hundred are enough. Default for noise: 200 standard normal
            vectors. Required for translators.
        card: optional dict written beside the file as `<path>.json` (the
            export's model card: source, size, quantization, calibration set).
        kind: what the network takes, `"noise"`, `"tags"` or `"image"` (a `GANModel`'s `input_kind`);
            default: read from the network.
        tag_vocabulary: a `"tags"` generator's vocabulary config: the file gets `noise` and `tags`
            inputs, and the vocabulary goes into the model card (which `LiteRTGenerator` reads).
        scale: an upscaler's factor (kind `"upscale"`), written into the model card.

    Returns:
        `path`.
    """
    if quantize not in QUANTIZATIONS:
        raise ValueError(f"quantize must be one of {QUANTIZATIONS}; got {quantize!r}.")
    if not os.fspath(path).endswith(".tflite"):
        raise ValueError(f"A LiteRT file ends in .tflite; got {path!r}.")
    kind = _kind(network, kind)
    num_tags = 0
    if kind == "tags":
        if not tag_vocabulary:
            raise ValueError("A tag-conditioned generator's LiteRT file needs its tag_vocabulary.")
        num_tags = len(tag_vocabulary["tags"])
        card = dict(card or {}, tag_vocabulary=tag_vocabulary)
    if kind == "upscale":
        card = dict(card or {}, kind="upscale", scale=int(scale or 4))
    noise = kind in ("noise", "tags")
    size = default_size(network, kind if kind == "upscale" else "noise" if noise else "image") if (
        size is None or noise) else int(size)
    own = network.input_shape[1] if not noise else None
    if own is not None and not noise and size != own:
        raise ValueError(f"This translator works at {own} x {own} only; got size={size}.")
    if kind == "image" and size % 4:
        raise ValueError(f"size must be a multiple of 4 (the translator downsamples twice); got {size}.")
    signatures = _signatures(network, size, noise, num_tags)
    data = _convert(network, signatures, quantize,
                    lambda: _representative(network, representative, size, noise, num_tags))
    from keras_animegan.utils import safe_files

    safe_files.write_bytes(path, data)
    if card is not None:
        safe_files.write_json(f"{path}.json", {"file": os.path.basename(path), "size": size, "quantize": quantize,
                                               "signatures": list(signatures), **card}, indent=2)
    return path


def _convert(network, signatures, quantize, representative):
    """The `.tflite` bytes of `signatures` (builtin ops only), quantized as asked (`representative()` for int8)."""
    import keras
    import tensorflow as tf

    with tempfile.TemporaryDirectory() as saved:
        archive = keras.export.ExportArchive()  # Keras 3's own SavedModel writer, as model.export uses
        archive.track(network)
        for name, function in signatures.items():
            archive.add_endpoint(name, function.python_function, input_signature=function.input_signature)
        archive.write_out(saved, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=list(signatures))
        converter.experimental_enable_resource_variables = True  # as Keras's own LiteRT export
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize == "fp16":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.target_spec.supported_types = [tf.float16]
        elif quantize == "int8":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = representative()
        return converter.convert()


def _representative(network, representative, size, noise, num_tags=0):
    if representative is None:
        if not noise:
            raise ValueError("int8 quantization of a translator needs representative images "
                             "(`representative=`, float32 (n, size, size, 3) in [-1, 1]).")
        representative = np.random.default_rng(0).standard_normal((200, int(network.input_shape[-1])))
    representative = np.asarray(representative, np.float32)

    def images_of(x):  # the uint8 signature's input and the float one's
        return {"serving_default": {"images": np.round((x + 1) * 127.5).clip(0, 255).astype(np.uint8)},
                "float": {"images": x}}

    def generate():
        for x in representative:
            x = x[None]
            if noise and num_tags:  # the tag part as one-hot-like vectors: the values the input takes
                inputs = {"noise": x[:, :-num_tags], "tags": (x[:, -num_tags:] > 1.0).astype(np.float32)}
                yield from (("serving_default", inputs), ("float", inputs))
            elif noise:
                yield from (("serving_default", {"noise": x}), ("float", {"noise": x}))
            else:
                if x.shape[1:3] != (size, size):
                    import tensorflow as tf

                    x = tf.image.resize(x, (size, size), antialias=True).numpy()
                yield from images_of(x).items()

    return generate


class LiteRTGenerator:
    """A `.tflite` file written by `export_litert`, run with LiteRT (`ai-edge-litert`), numpy in and out.

    >>> model = LiteRTGenerator("photo2anime_256.tflite")
    >>> anime = model.translate_image(photo)        # uint8 (h, w, 3) -> uint8 (h, w, 3)
    """

    def __init__(self, path, num_threads=None):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # pragma: no cover - a dependency of the package
            raise ImportError("Running .tflite files needs `pip install ai-edge-litert`.") from None
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"LiteRT file {self.path!r} does not exist.")
        from keras_animegan.utils.quiet import quiet_native_info

        with quiet_native_info():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate" line
            self.interpreter = Interpreter(model_path=self.path, num_threads=num_threads)
        signatures = self.interpreter.get_signature_list()
        if "serving_default" not in signatures:
            raise ValueError(f"{self.path!r} has no 'serving_default' signature (signatures: {sorted(signatures)}); "
                             "write it with keras_animegan.export.litert.export_litert.")
        self.runner = self.interpreter.get_signature_runner("serving_default")
        self.float_runner = self.interpreter.get_signature_runner("float") if "float" in signatures else None
        details = self.runner.get_input_details()
        name, detail = next(iter(details.items()))
        self.input_name = name
        self.input_shape = tuple(int(d) for d in detail["shape"])
        self.kind = "noise" if name == "noise" else "image"
        self.tag_vocabulary = None
        if set(details) == {"noise", "tags"}:  # a tag-conditioned generator; its vocabulary is in the card
            self.kind = "tags"
            self.input_shape = tuple(int(d) for d in details["noise"]["shape"])
            self.num_tags = int(details["tags"]["shape"][-1])
            self.tag_vocabulary = _card(self.path).get("tag_vocabulary")
            if not self.tag_vocabulary or len(self.tag_vocabulary["tags"]) != self.num_tags:
                raise ValueError(f"{self.path!r} takes tags, but its model card {self.path}.json does not list "
                                 f"its {self.num_tags} tags (export it with keras_animegan.export).")
        self.scale = 1
        if self.kind == "image" and _card(self.path).get("kind") == "upscale":  # an upscaler: its card says so
            self.kind, self.scale = "upscale", int(_card(self.path).get("scale", 4))
        self.size = None if self.kind not in ("image", "upscale") else self.input_shape[1]
        self.latent_dim = self.input_shape[1] if self.kind not in ("image", "upscale") else None
        output = next(iter(self.runner.get_output_details().values()))
        self.output_size = int(output["shape"][1])

    def _split(self, row):
        if self.kind == "tags":
            return {"noise": row[None, :self.latent_dim], "tags": row[None, self.latent_dim:]}
        return {"noise": row[None]}

    def generate(self, noise):
        """float32 noise `(n, latent_dim)` (a tag-conditioned file: the tag vector appended) -> uint8 images."""
        noise = np.asarray(noise, np.float32)
        return np.concatenate([self.runner(**self._split(row))["images"] for row in noise])

    def __call__(self, images):
        """float32 `(n, size, size, 3)` in [-1, 1] -> float32 in [-1, 1], through the `float` signature
        (noise `(n, latent_dim)` for a noise generator, with the tag vector appended for a tagged one)."""
        x = np.asarray(images, np.float32)
        if self.kind in ("noise", "tags"):
            return np.concatenate([self.float_runner(**self._split(row))["images"] for row in x])
        if self.kind == "upscale":  # any size, in tiles of the file's
            from keras_animegan.utils import tiles

            return np.stack([tiles.upscale_fixed(lambda tile: self.float_runner(images=tile)["images"], image,
                                                 self.size, self.scale) for image in x])
        return np.concatenate([self.float_runner(images=row[None])["images"] for row in x])

    def translate(self, images):
        """uint8 `(n, size, size, 3)` -> uint8 `(n, size, size, 3)`."""
        images = np.asarray(images, np.uint8)
        return np.concatenate([self.runner(images=image[None])["images"] for image in images])

    def translate_image(self, image):
        """A uint8 `(h, w, 3)` image of any size -> its translation at the same size (resized to the
        file's size and back, see `any_size.translate_fixed`), through the uint8 signature."""
        return translate_fixed(self.translate, np.asarray(image, np.uint8), self.size)

    def upscale_image(self, image):
        """An upscaler's file: a uint8 `(h, w, 3)` image of any size -> uint8 `scale` times larger, in tiles of
        the file's size (edges padded by reflection), through the uint8 signature."""
        from keras_animegan.utils import tiles

        return tiles.upscale_fixed(self.translate, np.asarray(image, np.uint8), self.size, self.scale)

    def translate_any_size(self, images):
        """float [-1, 1] `(n, h, w, 3)` of any size -> the same shape, through the float signature."""
        images = np.asarray(images, np.float32)
        return np.clip(np.stack([translate_fixed(self, image, self.size) for image in images]), -1.0, 1.0)


def _card(path):
    """The model card `export_litert` writes beside a file (`<path>.json`), or {}."""
    try:
        with open(f"{path}.json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def matches(path):
    """Whether `path` names a LiteRT file."""
    return os.fspath(path).endswith(".tflite")


def export_sizes(network, kind, size=None):
    """The image sides a network is exported at: none for noise; `size`; else its own (the fully convolutional
    photo translator: 256 and 512, a phone's two usual sizes; an upscaler: 64)."""
    if kind in ("noise", "tags"):
        return [None]
    if size:
        return [int(size)]
    if kind == "upscale":
        return [UPSCALE_SIZE]
    own = network.input_shape[1]
    return [256, 512] if own is None else [int(own)]


def export(network, kind, export_dir, name, quantize="none", size=None, representative=None, source=None,
           tag_vocabulary=None, scale=None, **unused):
    """The format's export call (see `keras_animegan.export.export_model`): one `.tflite` per size.

    Writes `<export_dir>/<name>[_<size>][_<quantize>].tflite` with a `.json` model card each; int8
    calibrates on `representative` (a folder or zip of images; default the embedded cartoon faces).
    Returns `{file stem: path}`.
    """
    sizes = export_sizes(network, kind, size)
    written = {}
    for side in sizes:
        images, calibration = None, None
        if quantize == "int8":
            if kind in ("noise", "tags"):
                calibration = "200 standard normal noise vectors (seed 0)"
            else:
                images, calibration = representative_images(representative, side)
        stem = name + ("" if side is None or len(sizes) == 1 else f"_{side}") + (
            "" if quantize == "none" else f"_{quantize}")
        path = os.path.join(os.fspath(export_dir), f"{stem}.tflite")
        card = {"source": source, "network": name, "calibration": calibration}
        written[stem] = export_litert(network, path, size=side, quantize=quantize, representative=images, card=card,
                                      kind=kind, tag_vocabulary=tag_vocabulary, scale=scale)
    return written


def representative_images(path=None, size=64, count=200):
    """Calibration images for int8: float32 `(n, size, size, 3)` in [-1, 1] from a folder or zip of images.

    Default: the first `count` of the package's embedded cartoon faces (the
    shipped translators' input domain). Returns `(images, description)`; the
    description goes into the export's model card.
    """
    import zipfile

    from keras_animegan.data.embedded import cartoon_faces_64
    from keras_animegan.utils.archives import open_zip
    from keras_animegan.utils.archives import read_member
    from keras_animegan.utils.decoding import decode_image
    from keras_animegan.utils.decoding import is_image_name
    from keras_animegan.utils.pixels import to_unit_range

    source = os.fspath(path) if path is not None else cartoon_faces_64()
    if os.path.isdir(source):
        names = sorted(os.path.join(root, f) for root, _, files in os.walk(source) for f in files if is_image_name(f))
        read = lambda name: open(name, "rb").read()  # noqa: E731
    elif zipfile.is_zipfile(source):
        archive = open_zip(source)
        names = sorted(n for n in archive.namelist() if is_image_name(n))
        read = lambda name: read_member(archive, name)  # noqa: E731 - declared size and ratio checked first
    else:
        raise ValueError(f"--representative {source!r} is not a folder or a zip of images.")
    images = []
    for name in names:
        try:
            images.append(decode_image(read(name), size, name=name))
        except (OSError, ValueError):  # unreadable files (decode_image's and read_member's errors) are skipped
            continue
        if len(images) == count:
            break
    if not images:
        raise ValueError(f"--representative {source!r} holds no readable images.")
    what = "the package's embedded cartoon faces (facesjs, Apache-2.0)" if path is None else source
    return np.asarray(to_unit_range(np.stack(images)), np.float32), f"{len(images)} images from {what}"


register_format("litert", label="LiteRT", module=__name__,
                writes="`<export_dir>/<name>[_<size>][_<quantize>].tflite` and a `.json` model card each",
                loader=LiteRTGenerator, accepts=matches, file_kind="LiteRT file")
