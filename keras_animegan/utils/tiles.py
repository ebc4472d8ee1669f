"""Upscaling images of any size in overlapping tiles, so memory stays bounded (NumPy only).

A fully convolutional upscaler sees only `receptive field` pixels around each output pixel, so an
image cut into tiles that overlap by more than that, each upscaled apart and stitched from the tiles'
centres, gives the same result as the whole image at once (up to the zero padding at tile edges,
which the overlap hides). Real-ESRGAN's `tile` / `tile_pad` options work the same way.
"""

import numpy as np

#: The shipped upscaler preset that grows the avatars (`--size`, `Photo2Avatar(..., size=)`, the demo).
DEFAULT_UPSCALER = "upscaler_avatars_x4"
#: Inputs larger than this on a side are cut into tiles of this size (input pixels).
TILE_SIZE = 256
#: Input pixels each tile shares with its neighbours on a side (more than the upscaler's receptive radius).
TILE_OVERLAP = 16
#: The largest input `upscale` takes (pixels): 16 megapixels in, 256 out at x4 (768 MB as uint8).
MAX_INPUT_PIXELS = 4096 * 4096


def _starts(length, tile, step):
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]


def upscale(run, images, scale, tile_size=TILE_SIZE, overlap=TILE_OVERLAP, batch_size=16):
    """`images` through `run` (float [-1, 1] `(n, h, w, 3)` -> `(n, h * scale, w * scale, 3)`), tile by tile.

    Args:
        run: the network as a NumPy function of float32 batches.
        images: one image `(h, w, 3)` or a batch `(n, h, w, 3)`: uint8, or floats in [-1, 1].
        scale: the network's upscaling factor.
        tile_size: the largest input side the network sees at once.
        overlap: input pixels shared by neighbouring tiles.
        batch_size: images per call when they need no tiles.

    Returns:
        The upscaled images, uint8 for uint8 input and float32 in [-1, 1] otherwise, one or a batch as given.
    """
    images = np.asarray(images)
    single = images.ndim == 3
    batch = images[None] if single else images
    if batch.ndim != 4 or batch.shape[-1] != 3 or 0 in batch.shape:
        raise ValueError(f"upscale takes RGB images (h, w, 3) or (n, h, w, 3); got shape {images.shape}.")
    n, height, width = batch.shape[:3]
    if height * width > MAX_INPUT_PIXELS:
        raise ValueError(f"An image of {width}x{height} is over the {MAX_INPUT_PIXELS:,}-pixel limit for "
                         f"upscaling (its x{scale} result would not fit in memory); resize it first.")
    if tile_size <= 2 * overlap:
        raise ValueError(f"tile_size must be more than twice the overlap ({overlap}); got {tile_size}.")
    is_uint8 = batch.dtype == np.uint8
    x = batch.astype(np.float32) / 127.5 - 1.0 if is_uint8 else batch.astype(np.float32)
    out = np.empty((n, height * scale, width * scale, 3), np.float32)
    if height <= tile_size and width <= tile_size:
        for start in range(0, n, batch_size):
            out[start:start + batch_size] = run(x[start:start + batch_size])
    else:
        step = tile_size - 2 * overlap
        for top in _starts(height, tile_size, step):
            bottom = min(top + tile_size, height)
            keep_top = 0 if top == 0 else top + overlap
            keep_bottom = height if bottom == height else bottom - overlap
            for left in _starts(width, tile_size, step):
                right = min(left + tile_size, width)
                keep_left = 0 if left == 0 else left + overlap
                keep_right = width if right == width else right - overlap
                tile = run(x[:, top:bottom, left:right])
                out[:, keep_top * scale:keep_bottom * scale, keep_left * scale:keep_right * scale] = tile[
                    :, (keep_top - top) * scale:(keep_bottom - top) * scale,
                    (keep_left - left) * scale:(keep_right - left) * scale]
    out = np.clip(out, -1.0, 1.0)
    if is_uint8:
        out = np.clip(np.rint((out + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return out[0] if single else out


def upscale_fixed(run, image, size, scale, overlap=TILE_OVERLAP):
    """One `(h, w, 3)` image through `run`, a function of `(1, size, size, 3)` batches of the image's own kind
    (uint8, or floats in [-1, 1]; a LiteRT file's signatures): tiles of `size`, each padded at its far edges
    to `size` by mirroring (the padding's output is cut off). Returns the image `scale` times larger, of the same kind."""
    image = np.asarray(image)
    is_uint8 = image.dtype == np.uint8

    def run_tile(x):
        height, width = x.shape[1:3]
        tiles = np.clip(np.rint((x + 1.0) * 127.5), 0, 255).astype(np.uint8) if is_uint8 else x
        # Mirrored: a padded edge then looks like more of the same drawing (the output differs from the
        # whole image's within the network's receptive radius of such an edge; unpadded tiles agree).
        padded = np.pad(tiles, [(0, 0), (0, size - height), (0, size - width), (0, 0)], mode="symmetric")
        out = np.concatenate([np.asarray(run(tile[None])) for tile in padded])[:, :height * scale, :width * scale]
        return out.astype(np.float32) / 127.5 - 1.0 if is_uint8 else out.astype(np.float32)

    return upscale(run_tile, image, scale, tile_size=size, overlap=min(overlap, size // 4), batch_size=1)


def resize_to(image, size, upscale_one=None):
    """One uint8 `(h, w, 3)` image -> `(size, size, 3)`: through `upscale_one` (an upscaler on one uint8 image)
    as often as it takes to reach `size`, then resized exactly (area when shrinking, bicubic when growing);
    without `upscale_one`, resized plainly (bicubic, or area when shrinking)."""
    import cv2

    image = np.asarray(image, np.uint8)
    while upscale_one is not None and max(image.shape[:2]) < size:
        image = np.asarray(upscale_one(image), np.uint8)
    height, width = image.shape[:2]
    if (height, width) == (size, size):
        return image
    shrink = height >= size and width >= size
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
