"""Feature networks for FID / KID: InceptionV3 (the standard) or VGG16 (e.g. a local weights file)."""

import os

import keras


def inception_features(weights="imagenet"):
    """InceptionV3 pool features (2048-d) of [-1, 1] images of any size, resized to 299 px (the FID/KID standard).

    InceptionV3's own preprocessing maps [0, 255] to [-1, 1], which our images
    already are. `weights="imagenet"` downloads on first use.
    """
    images = keras.Input((None, None, 3), name="images")
    x = keras.layers.Resizing(299, 299, interpolation="bilinear", name="to_299")(images)
    inception = keras.applications.InceptionV3(include_top=False, weights=weights, pooling="avg",
                                               input_shape=(299, 299, 3))
    model = keras.Model(images, inception(x), name="inception_v3_pool")
    model.trainable = False
    return model


def vgg_features(weights="imagenet", image_size=None, layer="block5_conv3", preprocessing="auto"):
    """VGG16 features at `layer`, global-average pooled (512-d), from [-1, 1] images.

    `weights`: `"imagenet"` (download), None (random: tests), or a local
    `include_top=False` weights file; `preprocessing` as in `vgg_feature_extractor`
    (`"auto"` refuses a local file it does not know).
    """
    from keras_animegan.models.feature_extractors import vgg_feature_extractor

    extractor = vgg_feature_extractor("vgg16", weights=weights, layer=layer, image_size=image_size,
                                      preprocessing=preprocessing)
    images = keras.Input((image_size, image_size, 3), name="images")
    pooled = keras.layers.GlobalAveragePooling2D(name="pool")(extractor(images))
    model = keras.Model(images, pooled, name=f"vgg16_{layer}_pool")
    model.trainable = False
    return model


def vgg16_pool_features(weights="imagenet", resize_to=224, preprocessing="auto"):
    """The quality benchmark's features: VGG16 `include_top=False, pooling="avg"` (512-d) at `resize_to` px.

    [-1, 1] images of any size are resized bilinearly to `resize_to`, mapped to
    [0, 1] and normalized with torchvision's ImageNet mean and std
    (`preprocessing="torch"`, for torchvision-converted weights such as the
    project's VGG16 file; `"caffe"` for Keras's own ImageNet weights).

    Args:
        weights: `"imagenet"` (Keras downloads them), None (random), or a local
            `include_top=False` VGG16 weights file.
        resize_to: the side the images are resized to (ImageNet's 224).
        preprocessing: `"torch"` or `"caffe"`, matching `weights`; `"auto"`: caffe for Keras's
            `"imagenet"`, and for a local file what `resolve_vgg_preprocessing` knows of it.
    """
    from keras_animegan.models.feature_extractors import VGGPreprocess
    from keras_animegan.models.feature_extractors import resolve_vgg_preprocessing

    preprocessing = resolve_vgg_preprocessing(weights, preprocessing)

    images = keras.Input((None, None, 3), name="images")
    x = keras.layers.Resizing(resize_to, resize_to, interpolation="bilinear", name=f"to_{resize_to}")(images)
    x = VGGPreprocess(preprocessing, name="vgg_preprocess")(x)
    vgg = keras.applications.VGG16(include_top=False, weights=weights, pooling="avg",
                                   input_shape=(resize_to, resize_to, 3))
    model = keras.Model(images, vgg(x), name=f"vgg16_pool_{resize_to}")
    model.trainable = False
    return model


def feature_model(spec, image_size=None):
    """The feature network named by `spec`: `"inception"`, `"vgg16"`, `"random"` (random VGG16: smoke runs),
    a VGG16 `.weights.h5` file (`caffe:PATH` or `torch:PATH` to say its preprocessing; a bare path only
    for a file `resolve_vgg_preprocessing` knows), or a `.keras` model file (any model from [-1, 1]
    images to features).

    Raises:
        ValueError naming `spec` when it cannot be built (e.g. no internet for the ImageNet download).
    """
    try:
        if spec == "inception":
            return inception_features()
        if spec == "vgg16":
            return vgg_features("imagenet", image_size)
        if spec == "random":
            return vgg_features(None, image_size)
        if spec.endswith(".keras"):
            if not os.path.exists(spec):
                raise FileNotFoundError(spec)
            return keras.saving.load_model(spec, compile=False)
        if spec.endswith(".h5"):
            preprocessing, _, path = spec.partition(":") if spec.startswith(("caffe:", "torch:")) else ("auto", "", spec)
            if not os.path.exists(path):
                raise FileNotFoundError(path)
            return vgg_features(path, image_size, preprocessing=preprocessing)
    except Exception as error:  # noqa: BLE001 - downloads and bad files fail in many ways
        raise ValueError(
            f"Could not build the KID feature network {spec!r}: {error}. Without internet, pass a local VGG16 "
            "weights file (*.weights.h5) or a .keras feature model."
        ) from error
    raise ValueError(f"Unknown feature network {spec!r}: expected 'inception', 'vgg16', 'random', "
                     "a VGG16 .weights.h5 file or a .keras model.")
