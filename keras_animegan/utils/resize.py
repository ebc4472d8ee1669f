"""Resizing a uint8 image by its longer side: the one policy the command line and the demo share."""


def resize(image, width, height):
    """`image` (uint8 or float, `(h, w, c)`) at `width` x `height`: area averaging to shrink, cubic to enlarge."""
    import cv2

    if (image.shape[1], image.shape[0]) == (width, height):
        return image
    shrinking = width * height < image.shape[0] * image.shape[1]
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def resize_longer_side(image, size):
    """`image` resized so that its longer side is `size` px, the aspect kept (None: unchanged)."""
    height, width = image.shape[:2]
    if size is None or max(height, width) == size:
        return image
    scale = size / max(height, width)
    return resize(image, max(1, round(width * scale)), max(1, round(height * scale)))
