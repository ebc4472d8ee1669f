"""Face crop and eye alignment for photos (the `thumbs` builder's cropped configs, translating user photos)."""

import math

import numpy as np

from keras_animegan.landmarks.weights import LEFT_EYE
from keras_animegan.landmarks.weights import RIGHT_EYE


def crop_face(image, result, margin=0.4, align=True, size=None):
    """A square crop around the face of `result` (a `FaceMeshResult` of `image`), eyes level if `align`.

    The square is centered on the landmarks' bounding box, its side the box's
    long side times `1 + 2 * margin`. With `align`, the crop is rotated about
    that center so the line between the eye centers is horizontal. Parts outside
    the image are filled by reflection. Without a face, the image's center
    square is returned.

    Args:
        image: uint8 RGB (H, W, 3).
        result: the `FaceMesh` result for `image`.
        margin: extra space on each side, as a fraction of the face's size.
        align: rotate so the eyes are horizontal.
        size: output side in pixels (default: the crop's own side).

    Returns:
        uint8 RGB (size, size, 3).
    """
    import cv2

    image = np.asarray(image, np.uint8)
    h, w = image.shape[:2]
    if not result.found:
        side = min(h, w)
        y0, x0 = (h - side) // 2, (w - side) // 2
        crop = image[y0:y0 + side, x0:x0 + side]
        return crop if size is None else cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
    matrix, out = crop_transform(result, w, h, margin, align, size)
    interpolation = cv2.INTER_AREA if matrix[0, 0] ** 2 + matrix[0, 1] ** 2 < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, matrix, (out, out), flags=interpolation, borderMode=cv2.BORDER_REFLECT_101)


def crop_transform(result, width, height, margin=0.4, align=True, size=None):
    """The affine map of `crop_face` for a face that was found: `(matrix (2, 3), side)`.

    `matrix @ [x, y, 1]` takes a pixel of the `width` x `height` image to the crop,
    so `result.pixels(width, height)` mapped through it are the landmarks on the crop.
    """
    import cv2

    points = result.pixels(width, height)
    low, high = points.min(0), points.max(0)
    center = (low + high) / 2
    side = float((high - low).max() * (1 + 2 * margin))
    angle = 0.0
    if align:
        right, left = points[list(RIGHT_EYE)].mean(0), points[list(LEFT_EYE)].mean(0)
        angle = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
    out = size or max(1, int(round(side)))
    scale = out / side
    matrix = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), angle, scale)
    matrix[:, 2] += np.array([out / 2, out / 2]) - center  # face center -> output center
    return matrix, out
