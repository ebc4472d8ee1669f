"""VGG feature extractors for the perceptual losses, with the preprocessing that matches their weights."""

import keras
from keras import layers
from keras import ops

VGG_LAYERS = {"vgg19": "block4_conv4", "vgg16": "block4_conv3"}
# Caffe-style (Keras ImageNet weights): BGR, 0..255, minus the ImageNet mean.
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
# torchvision: RGB in [0, 1], minus mean, over std.
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


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
            and random weights, torch for a local file (the converted torchvision weights).
    """
    applications = {"vgg19": keras.applications.VGG19, "vgg16": keras.applications.VGG16}
    if name not in applications:
        raise ValueError(f"Unknown VGG {name!r}; expected one of {sorted(applications)}.")
    if weights in (None, "none"):
        weights = None
    if preprocessing == "auto":
        preprocessing = "torch" if weights not in (None, "imagenet") else "caffe"
    layer = layer or VGG_LAYERS[name]
    vgg = applications[name](include_top=False, weights=weights, input_shape=(image_size, image_size, 3))
    images = keras.Input((image_size, image_size, 3), name="images")
    x = VGGPreprocess(preprocessing, name="vgg_preprocess")(images)
    features = keras.Model(vgg.input, vgg.get_layer(layer).output, name=f"{name}_to_{layer}")(x)
    model = keras.Model(images, features, name=f"{name}_features")
    model.trainable = False
    return model
