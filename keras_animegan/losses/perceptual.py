"""Perceptual losses on feature maps of a network that is passed in (VGG): content and Gram style.

The feature network is never built or downloaded here: callers give the
features (TF-GAN's rule). `keras_animegan.models.vgg_feature_extractor`
builds one.
"""

from keras import ops


def _spatial_weight(weight, features):
    """Resizes a per-pixel weight map (b, H, W[, 1]) to the feature map's (b, h, w, 1) by area averaging."""
    weight = ops.cast(weight, "float32")
    if len(weight.shape) == 3:
        weight = ops.expand_dims(weight, -1)
    h, w = features.shape[1], features.shape[2]
    if weight.shape[1] != h or weight.shape[2] != w:
        import tensorflow as tf

        weight = tf.image.resize(weight, (h, w), method="area")
    return weight


def content_loss(photo_features, generated_features, weight=None):
    """L1 between feature maps `(b, h, w, c)`: CartoonGAN's semantic content loss.

    Args:
        photo_features: features of the input photos.
        generated_features: features of the generated images.
        weight: optional per-pixel map of the *photo* `(b, H, W)` or `(b, H, W, 1)`
            at image resolution; it is area-resized to the feature resolution
            and weights the difference there (the landmark loss hook). A
            uniform weight of ones gives the plain mean.
    """
    diff = ops.abs(ops.cast(photo_features, "float32") - ops.cast(generated_features, "float32"))
    if weight is not None:
        diff = diff * _spatial_weight(weight, photo_features)
    return ops.mean(diff)


def gram_matrix(features):
    """Gram matrices `(b, c, c)` of feature maps `(b, h, w, c)`, divided by `h * w * c`.

    `G[b, i, j] = sum_{y,x} F[b, y, x, i] F[b, y, x, j] / (h w c)`; the
    normalization keeps the scale independent of the image size and width.
    """
    features = ops.cast(features, "float32")
    h, w, c = features.shape[1], features.shape[2], features.shape[3]
    flat = ops.reshape(features, (-1, h * w, c))
    return ops.einsum("bnc,bnd->bcd", flat, flat) / float(h * w * c)


def style_loss(style_features, generated_features):
    """L1 between the Gram matrix of each generated image and the batch-mean Gram matrix of the style images.

    The report's style loss: `|Gram(VGG(cartoon)) - Gram(VGG(G(photo)))|`.
    Cartoons and photos are unpaired, so each generated image is compared to
    the mean Gram matrix of the cartoon batch rather than to one random cartoon.
    """
    target = ops.mean(gram_matrix(style_features), axis=0, keepdims=True)
    return ops.mean(ops.abs(gram_matrix(generated_features) - target))
