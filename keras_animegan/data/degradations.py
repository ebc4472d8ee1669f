"""Training pairs for an upscaler: high-resolution patches and low-resolution inputs made from them.

`Degradation` turns uint8 high-resolution patches into the low-resolution images an upscaler will
meet. A share of each batch is the plain area average (what a vector drawing rendered at the small
size looks like: DiceBear's 64 px avatars are the 256 px ones averaged, to within rounding); the rest
goes through one randomly drawn chain after Real-ESRGAN's (`basicsr/data/degradations.py`: random
blur kernels, a random resize kernel, Gaussian noise, JPEG), kept mild, because the inputs this
package upscales are its own generators' soft, slightly noisy 64 px drawings, not camera photos:

1. blur at the high resolution (Gaussian, random sigma), sometimes;
2. downscale by `scale` with a random kernel (area, bilinear, bicubic);
3. blur at the low resolution, sometimes (the softness of generated images);
4. Gaussian noise (colour or grey), sometimes;
5. JPEG at a random quality, sometimes.

`make_pairs` adds random crops and flips: uint8 images -> `(low, high)` float batches in [-1, 1].

Reference:
    Wang, Xie, Dong, Shan. "Real-ESRGAN: Training Real-World Blind Super-Resolution with Pure
    Synthetic Data", ICCVW 2021.
"""

import dataclasses

import cv2
import numpy as np

from keras_animegan.utils.pixels import to_unit_range

_RESIZE = (cv2.INTER_AREA, cv2.INTER_LINEAR, cv2.INTER_CUBIC)


@dataclasses.dataclass(frozen=True)
class Degradation:
    """What a low-resolution training input goes through; every probability is per image.

    Args:
        scale: the downscaling factor (the upscaler's).
        clean_share: images that are only area-averaged.
        blur_prob, blur_sigma: Gaussian blur before downscaling; sigma in high-resolution pixels.
        resize_probs: the chances of the area, bilinear and bicubic kernels for the downscale.
        low_blur_prob, low_blur_sigma: Gaussian blur after downscaling; sigma in low-resolution pixels.
        noise_prob, noise_sigma, gray_noise_prob: Gaussian noise, sigma on the 0-255 scale.
        jpeg_prob, jpeg_quality: JPEG compression at a quality drawn from the range.
    """

    scale: int = 4
    clean_share: float = 0.5
    blur_prob: float = 0.4
    blur_sigma: tuple = (0.4, 2.4)
    resize_probs: tuple = (0.6, 0.2, 0.2)
    low_blur_prob: float = 0.3
    low_blur_sigma: tuple = (0.3, 0.8)
    noise_prob: float = 0.5
    noise_sigma: tuple = (1.0, 10.0)
    gray_noise_prob: float = 0.4
    jpeg_prob: float = 0.3
    jpeg_quality: tuple = (70, 95)

    def __post_init__(self):
        for name in ("clean_share", "blur_prob", "low_blur_prob", "noise_prob", "gray_noise_prob", "jpeg_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1; got {getattr(self, name)!r}.")
        if int(self.scale) < 1:
            raise ValueError(f"scale must be a positive integer; got {self.scale!r}.")
        if len(self.resize_probs) != 3 or abs(sum(self.resize_probs) - 1.0) > 1e-6:
            raise ValueError(f"resize_probs must be three chances that add up to 1; got {self.resize_probs!r}.")

    def downscale(self, image, interpolation=cv2.INTER_AREA):
        """uint8 or float `(h, w, 3)` -> `(h // scale, w // scale, 3)` of the same dtype."""
        height, width = image.shape[:2]
        return cv2.resize(image, (width // self.scale, height // self.scale), interpolation=interpolation)

    def __call__(self, image, rng):
        """One uint8 high-resolution image `(h, w, 3)` -> its uint8 low-resolution input."""
        if rng.random() < self.clean_share:
            return self.downscale(image)
        x = image.astype(np.float32)
        if rng.random() < self.blur_prob:
            x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(*self.blur_sigma)), borderType=cv2.BORDER_REFLECT)
        x = self.downscale(x, _RESIZE[rng.choice(3, p=self.resize_probs)])
        if rng.random() < self.low_blur_prob:
            x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(*self.low_blur_sigma)), borderType=cv2.BORDER_REFLECT)
        if rng.random() < self.noise_prob:
            sigma = float(rng.uniform(*self.noise_sigma))
            shape = x.shape[:2] + ((1,) if rng.random() < self.gray_noise_prob else (3,))
            x = x + rng.normal(0.0, sigma, shape).astype(np.float32)
        x = np.clip(np.rint(x), 0, 255).astype(np.uint8)
        if rng.random() < self.jpeg_prob:
            quality = int(rng.integers(self.jpeg_quality[0], self.jpeg_quality[1] + 1))
            ok, encoded = cv2.imencode(".jpg", x[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok:
                x = cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]
        return np.ascontiguousarray(x)


def random_crops(images, patch_size, rng, flip=True):
    """uint8 `(n, h, w, 3)` -> `(n, patch_size, patch_size, 3)` random crops, each flipped left-right half the time."""
    n, height, width = images.shape[:3]
    if patch_size > min(height, width):
        raise ValueError(f"patch_size {patch_size} is larger than the images ({height}x{width}).")
    out = np.empty((n, patch_size, patch_size, 3), images.dtype)
    for i in range(n):
        top = int(rng.integers(0, height - patch_size + 1))
        left = int(rng.integers(0, width - patch_size + 1))
        crop = images[i, top:top + patch_size, left:left + patch_size]
        out[i] = crop[:, ::-1] if flip and rng.random() < 0.5 else crop
    return out


def make_pairs(images, patch_size, degradation, rng):
    """High-resolution uint8 images -> `(low, high)` float32 [-1, 1] batches: random crops and their inputs."""
    high = random_crops(images, patch_size, rng)
    low = np.stack([degradation(patch, rng) for patch in high])
    return to_unit_range(low), to_unit_range(high)

