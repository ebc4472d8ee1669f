"""A photo's flat-colour cartoon representation: the per-photo target of the photo -> anime translator.

After White-box Cartoonization (Wang & Yu, CVPR 2020), which trains its generator against
representations extracted from the photo itself (a *surface* from edge-preserving filtering, a
*structure* from flat-coloured segments) rather than only against unpaired cartoons. Ours, in
OpenCV on the photo:

1. surface: three passes of a bilateral filter (edges kept, texture and skin detail flattened);
2. structure: the CIE Lab lightness quantized to `levels` bands (flat regions with clean borders,
   hue and saturation kept, so skin and hair keep their colour);
3. outlines: a difference of Gaussians of the surface's grey image, drawn as dark lines 2 px wide;
4. tone: colours pulled toward their grey (saturation x `saturation`) and lifted toward white
   (`lift`), the avatars' pastel palette.
"""

import numpy as np

OUTLINE_RGB = (40, 30, 35)


def flat_cartoon(image, passes=3, levels=6, outline_threshold=0.012, saturation=0.75, lift=30):
    """The flat-colour cartoon of a uint8 RGB photo `(h, w, 3)`; returns uint8 `(h, w, 3)`.

    Scales are in pixels of a ~256 px portrait (a face about 150 px wide).

    Args:
        image: uint8 RGB array.
        passes: bilateral filter passes (diameter 9, colour sigma 40, space sigma 7).
        levels: lightness bands.
        outline_threshold: DoG response (in [0, 1] grey units) below which a pixel is an outline.
        saturation: chroma kept (1 = unchanged).
        lift: how far colours move toward white, in [0, 255] units at black.
    """
    import cv2

    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"flat_cartoon takes an RGB uint8 image (h, w, 3); got shape {image.shape}.")
    surface = image
    for _ in range(passes):
        surface = cv2.bilateralFilter(surface, 9, 40, 7)
    lab = cv2.cvtColor(surface, cv2.COLOR_RGB2LAB).astype(np.float32)
    step = 255.0 / levels
    lab[..., 0] = np.round(lab[..., 0] / step) * step
    flat = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
    grey = cv2.cvtColor(surface, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    dog = cv2.GaussianBlur(grey, (0, 0), 1.0) - cv2.GaussianBlur(grey, (0, 0), 1.6)
    outlines = cv2.dilate((dog < -outline_threshold).astype(np.uint8), np.ones((2, 2), np.uint8)) > 0
    flat[outlines] = OUTLINE_RGB
    out = flat.astype(np.float32)
    mean = out.mean(axis=-1, keepdims=True)
    out = mean + (out - mean) * saturation
    out = out * (255.0 - lift) / 255.0 + lift
    return np.clip(np.round(out), 0, 255).astype(np.uint8)
