"""Differentiable augmentation (DiffAugment) for GAN discriminators.

The same random transforms are applied to real and generated images before
every discriminator call, inside the train step, so gradients flow through
them to the generator and the discriminator never sees an un-augmented image
it could memorize. With a few thousand training images this keeps the
discriminator from overfitting (Zhao et al., 2020).

Every transform draws from a stateless seed (shape (2,)): the train step
derives it from the step counter, so a resumed run augments exactly as an
uninterrupted one.

Reference:
    Zhao, Liu, Lin, Zhu, Han. "Differentiable Augmentation for Data-Efficient
    GAN Training", NeurIPS 2020 (mit-han-lab/data-efficient-gans, `DiffAugment_tf.py`).
"""

from keras import ops

from keras_animegan import backend as gan_backend

#: Transforms a policy string may name, in the order they are applied.
AUGMENTATIONS = ("color", "translation", "cutout")


def parse_policy(policy):
    """`"color,translation"` -> `("color", "translation")`; `None`/`""` -> `()`. Unknown names raise ValueError."""
    if not policy:
        return ()
    if isinstance(policy, str):
        names = tuple(name.strip() for name in policy.split(",") if name.strip())
    else:
        names = tuple(policy)
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"Unknown augmentation(s) {unknown} in policy {policy!r}; choose from {AUGMENTATIONS}.")
    return tuple(name for name in AUGMENTATIONS if name in names)


def _draw(batch, tail, seed, salt, dtype, minval, maxval, offset=0, total=None):
    """Uniform draws for rows `offset .. offset + batch` of a global batch of `total` (default `batch`).

    Drawing for the global batch and slicing makes a replica's rows the ones one
    device would draw for the same images (see `GANModel.augment_images`).
    """
    seed = gan_backend.fold_in(seed, salt)
    if total is None:
        return gan_backend.stateless_uniform([batch, *tail], seed, minval=minval, maxval=maxval, dtype=dtype)
    values = gan_backend.stateless_uniform([total, *tail], seed, minval=minval, maxval=maxval, dtype=dtype)
    return values[offset:offset + batch]


def color(images, seed, offset=0, total=None):
    """Random brightness (+-0.5), saturation (x0..2) and contrast (x0.5..1.5) per image.

    DiffAugment's TF code applies these ranges to [-1, 1] images, as here.
    """
    batch = ops.shape(images)[0]
    dtype = images.dtype
    tail = [1, 1, 1]
    brightness = _draw(batch, tail, seed, 0, dtype, 0.0, 1.0, offset, total) - 0.5
    images = images + brightness
    mean = ops.mean(images, axis=3, keepdims=True)
    images = (images - mean) * (_draw(batch, tail, seed, 1, dtype, 0.0, 1.0, offset, total) * 2.0) + mean
    mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
    images = (images - mean) * (_draw(batch, tail, seed, 2, dtype, 0.0, 1.0, offset, total) + 0.5) + mean
    return images


def translation(images, seed, ratio=0.125, offset=0, total=None):
    """Shifts each image by up to `ratio` of its size in x and y; uncovered pixels are 0 (mid grey)."""
    batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
    max_y, max_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    shift_y = _draw(batch, [1], seed, 3, "int32", -max_y, max_y + 1, offset, total)
    shift_x = _draw(batch, [1], seed, 4, "int32", -max_x, max_x + 1, offset, total)
    # Index into a copy padded by one zero pixel: out-of-range positions land on the padding.
    rows = ops.clip(ops.arange(height, dtype="int32")[None, :] + shift_y + 1, 0, height + 1)  # (batch, height)
    cols = ops.clip(ops.arange(width, dtype="int32")[None, :] + shift_x + 1, 0, width + 1)  # (batch, width)
    padded = ops.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
    shifted = ops.take_along_axis(padded, rows[:, :, None, None], axis=1)  # (batch, height, width + 2, channels)
    return ops.take_along_axis(shifted, cols[:, None, :, None], axis=2)


def cutout(images, seed, ratio=0.5, offset=0, total=None):
    """Zeroes one random square of side `ratio` x the image size in each image."""
    batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = _draw(batch, [1, 1], seed, 5, "int32", 0, height + (1 - size_y % 2), offset, total)
    left = _draw(batch, [1, 1], seed, 6, "int32", 0, width + (1 - size_x % 2), offset, total)
    top, left = top - size_y // 2, left - size_x // 2
    rows = ops.arange(height, dtype="int32")[None, :, None]
    cols = ops.arange(width, dtype="int32")[None, None, :]
    inside = (rows >= top) & (rows < top + size_y) & (cols >= left) & (cols < left + size_x)
    mask = ops.cast(ops.logical_not(inside), images.dtype)[..., None]
    return images * mask


_TRANSFORMS = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(images, policy, seed, offset=0, total=None, rows=None, row_transforms=()):
    """Applies the transforms of `policy` (names or a comma-separated string) to `images`, NHWC.

    Args:
        images: a batch in [-1, 1] (any float dtype; gradients flow through).
        policy: e.g. `"color,translation,cutout"` (DiffAugment's default for
            small data sets); empty: `images` unchanged.
        seed: a stateless seed, int32 shape (2,). Call with the same seed for
            real and generated images only if you want them transformed alike;
            the models draw separate seeds for each.
        offset, total: `images` are rows `offset ..` of a global batch of
            `total` images (one replica's share under `tf.distribute`): the
            random parameters are drawn for the global batch and sliced, so
            N replicas augment exactly as one device would.
        rows, row_transforms: the transforms named in `row_transforms` change only the images
            where `rows` (a boolean vector, one per image) is true; the others change every image.

    Returns:
        The augmented batch, same shape and dtype.
    """
    seed = ops.convert_to_tensor(seed, "int32")
    for i, name in enumerate(parse_policy(policy)):
        changed = _TRANSFORMS[name](images, gan_backend.fold_in(seed, 100 + i), offset=offset, total=total)
        if name in row_transforms:
            changed = ops.where(ops.reshape(rows, (-1, 1, 1, 1)), changed, images)
        images = changed
    return images


def draw_rows(batch, share, seed, salt, offset=0, total=None):
    """A boolean vector of `batch` rows, each true with probability `share` (drawn for the global batch)."""
    seed = ops.convert_to_tensor(seed, "int32")
    return _draw(batch, [], seed, salt, "float32", 0.0, 1.0, offset, total) < share
