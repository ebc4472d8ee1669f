"""VGG feature extractors for the perceptual losses, with the preprocessing that matches their weights."""

import functools
import hashlib
import os

import keras
from keras import layers
from keras import ops

VGG_LAYERS = {"vgg19": "block4_conv4", "vgg16": "block4_conv3"}
# Caffe-style (Keras ImageNet weights): BGR, 0..255, minus the ImageNet mean.
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# torchvision: RGB in [0, 1], minus mean, over std.
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
# Local VGG files whose preprocessing is known, by SHA-256. A file saved by Keras (caffe) and a
# torchvision conversion written into the same Keras layers have the same layout, so nothing in a
# file says which one it is; `resolve_vgg_preprocessing` refuses to guess for any other file.
KNOWN_VGG_FILES = {
    # torchvision's ImageNet VGG16 conv layers in `keras.applications.VGG16(include_top=False)`
    # (the project machines' `models/vgg16-imagenet/vgg16_imagenet_notop.weights.h5`).
    "d2d521d9b9fa12ed44d8c1b25cf361b0595bd25e5c3504e8c4027aa5cb5867e6": "torch",
}


@functools.lru_cache(maxsize=16)
def _sha256(path, size, mtime):  # size and mtime key the cache, so an edited file is hashed again
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_vgg_preprocessing(weights, preprocessing="auto"):
    """The VGGPreprocess mode for `weights`: `preprocessing` itself unless it is `"auto"`.

    `"auto"`: caffe for `"imagenet"` (Keras's weights) and random weights; for a local file, the mode
    recorded in `KNOWN_VGG_FILES`. Any other local file raises a ValueError naming it, since a VGG
    saved by Keras and a torchvision conversion cannot be told apart by their layout.
    """
    if preprocessing not in ("auto", "caffe", "torch"):
        raise ValueError(f"preprocessing must be 'auto', 'caffe' or 'torch'; got {preprocessing!r}.")
    if preprocessing != "auto":
        return preprocessing
    if weights in (None, "none", "imagenet"):
        return "caffe"
    path = os.fspath(weights)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"VGG weights file not found: {path}")
    stat = os.stat(path)
    known = KNOWN_VGG_FILES.get(_sha256(os.path.abspath(path), stat.st_size, stat.st_mtime_ns))
    if known is None:
        raise ValueError(
            f"Cannot tell which preprocessing the VGG weights in {path} expect: a VGG saved by Keras "
            "(e.g. `keras.applications.VGG19(weights='imagenet').save_weights(...)`) wants 'caffe', a "
            "torchvision conversion wants 'torch'. Say which (`--vgg_preprocessing caffe|torch`, or "
            "`preprocessing=`) instead of 'auto'.")
    return known


@keras.saving.register_keras_serializable(package="keras_animegan")
class VGGPreprocess(layers.Layer):
    """[-1, 1] RGB images -> the input a VGG expects: `mode="caffe"` (Keras weights) or `"torch"` (torchvision's)."""

    def __init__(self, mode="caffe", **kwargs):
        super().__init__(**kwargs)
        if mode not in ("caffe", "torch"):
            raise ValueError(f"mode must be 'caffe' or 'torch'; got {mode!r}.")
        self.mode = mode

    def call(self, images):
        images = ops.cast(images, self.compute_dtype)
        if self.mode == "caffe":
            bgr = ops.flip((images + 1.0) * 127.5, axis=-1)
            return bgr - ops.convert_to_tensor(_CAFFE_MEAN_BGR, dtype=self.compute_dtype)
        unit = (images + 1.0) * 0.5
        mean = ops.convert_to_tensor(_TORCH_MEAN, dtype=self.compute_dtype)
        std = ops.convert_to_tensor(_TORCH_STD, dtype=self.compute_dtype)
        return (unit - mean) / std

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


def vgg_feature_extractor(name="vgg19", weights="imagenet", layer=None, image_size=None, preprocessing="auto"):
    """A frozen `keras.Model` from [-1, 1] images to VGG features (CartoonGAN's content/style network).

    Args:
        name: `"vgg19"` (CartoonGAN's, at `block4_conv4`) or `"vgg16"` (at `block4_conv3`).
        weights: `"imagenet"` (Keras downloads them on first use), `None` / `"none"` (random: smoke
            runs and tests), or a path to a local weights file for `keras.applications.VGG*`
            (`include_top=False`).
        layer: feature layer name; default per network as above.
        image_size: input size, or None for any.
        preprocessing: `"caffe"` (Keras's ImageNet weights), `"torch"` (torchvision weights, as the
            converted VGG16 file the project's machines use), or `"auto"`: caffe for `"imagenet"`
            and random weights; for a local file, see `resolve_vgg_preprocessing` (a file it does not
            know is an error, not a guess).
    """
    applications = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}
    if name not in applications:
        raise ValueError(f"Unknown VGG {name!r}; expected one of {sorted(applications)}.")
    if weights in (None, "none"):
        weights = None
    preprocessing = resolve_vgg_preprocessing(weights, preprocessing)
    layer = layer or VGG_LAYERS[name]
    vgg = applications[name](include_top=False, weights=weights, input_shape=(image_size, image_size, 3))
    images = keras.Input((image_size, image_size, 3), name="images")
    x = VGGPreprocess(preprocessing, name="vgg_preprocess")(images)
    features = keras.Model(vgg.input, vgg.get_layer(layer).output, name=f"{name}_to_{layer}")(x)
    model = keras.Model(images, features, name=f"{name}_features")
    model.trainable = False
    return model


def tiny_feature_extractor(image_size=32):
    """A two-convolution stand-in for VGG (6 channels at half the size): what the tiny CartoonGAN of the
    shared model checks and the examples use, with no weights to download."""
    images = keras.Input((image_size, image_size, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(images)
    return keras.Model(images, layers.Conv2D(6, 3, padding="same")(x), name="tiny_features")
