"""Perceptual losses on feature maps of a network that is passed in (VGG): content and Gram style.

The feature network is never built or downloaded here: callers give the
features (TF-GAN's rule). `keras_animegan.models.vgg_feature_extractor`
builds one.
"""

from keras import ops

from keras_animegan.losses.dtypes import loss_dtype


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
    diff = ops.abs(loss_dtype(photo_features) - loss_dtype(generated_features))
    if weight is not None:
        diff = diff * ops.cast(_spatial_weight(weight, photo_features), diff.dtype)
    return ops.mean(diff)


def gram_matrix(features):
    """Gram matrices `(b, c, c)` of feature maps `(b, h, w, c)`, divided by `h * w * c`.

    `G[b, i, j] = sum_{y,x} F[b, y, x, i] F[b, y, x, j] / (h w c)`; the
    normalization keeps the scale independent of the image size and width.
    """
    features = loss_dtype(features)
    h, w, c = features.shape[1], features.shape[2], features.shape[3]
    flat = ops.reshape(features, (-1, h * w, c))
    return ops.einsum("bnc,bnd->bcd", flat, flat) / float(h * w * c)


def mean_gram_matrix(features):
    """The batch mean of `gram_matrix(features)`, shape `(1, c, c)`: the style target of a batch of style images."""
    return ops.mean(gram_matrix(features), axis=0, keepdims=True)


def style_loss(style_features, generated_features, target_gram=None):
    """L1 between the Gram matrix of each generated image and the batch-mean Gram matrix of the style images.

    The report's style loss: `|Gram(VGG(cartoon)) - Gram(VGG(G(photo)))|`.
    Cartoons and photos are unpaired, so each generated image is compared to
    the mean Gram matrix of the cartoon batch rather than to one random cartoon.
    `target_gram` (from `mean_gram_matrix`, e.g. averaged over the replicas of
    a distributed step) replaces the target computed from `style_features`,
    which may then be None.
    """
    target = mean_gram_matrix(style_features) if target_gram is None else loss_dtype(target_gram)
    return ops.mean(ops.abs(gram_matrix(generated_features) - target))
