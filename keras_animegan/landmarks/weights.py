"""The landmark loss's per-pixel weight maps (after Landmark-assisted CycleGAN, Wu et al. 2019).

A map is `1 + strength * bumps`, normalized to mean 1 over the image: `bumps` is,
at every pixel, the largest Gaussian bump (sigma a fraction of the image's short
side) among the 468 face-mesh points, each bump weighted `feature_weight` for
points of the eyes, brows, nose and mouth and `face_weight` for the rest.
Because the map's mean is 1, a loss weighted by it (`weighted_l1`, the content
loss) keeps the scale of the unweighted loss at every image size, and a face-free
image (uniform map of ones) gives exactly the unweighted loss.
"""

import numpy as np

# Face-mesh indices of the facial features (from MediaPipe's face_mesh_connections).
LIPS = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409, 78, 95, 88,
        178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415)
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
LEFT_EYEBROW = (276, 283, 282, 295, 285, 300, 293, 334, 296, 336)
RIGHT_EYEBROW = (46, 53, 52, 65, 55, 70, 63, 105, 66, 107)
NOSE = (1, 2, 4, 5, 6, 19, 94, 97, 98, 168, 195, 197, 326, 327)
FEATURES = {
    "lips": LIPS, "left_eye": LEFT_EYE, "right_eye": RIGHT_EYE, "left_eyebrow": LEFT_EYEBROW,
    "right_eyebrow": RIGHT_EYEBROW, "nose": NOSE,
}
FEATURE_INDICES = np.array(sorted({i for ids in FEATURES.values() for i in ids}))


def landmark_weight_map(landmarks, found, height, width, strength=1.0, sigma=0.02, face_weight=1.0,
                        feature_weight=4.0):
    """A (height, width, 1) float32 weight map with mean 1 (see the module docstring).

    Args:
        landmarks: (468, 2 or 3) points, x and y normalized to the image.
        found: whether there is a face; if not, the map is uniform (ones).
        height, width: map size in pixels.
        strength: how much the landmark regions count over the rest (0: uniform map).
        sigma: Gaussian sigma as a fraction of min(height, width).
        face_weight: bump height at the non-feature mesh points.
        feature_weight: bump height at eye, brow, nose and mouth points.
    """
    if not found or strength <= 0:
        return np.ones((height, width, 1), np.float32)
    points = np.asarray(landmarks, np.float32)[:, :2] * np.array([width, height], np.float32)
    heights = np.full(len(points), face_weight, np.float32)
    heights[FEATURE_INDICES] = feature_weight
    s = sigma * min(height, width)
    ys = np.arange(height, dtype=np.float32) + 0.5
    xs = np.arange(width, dtype=np.float32) + 0.5
    # Separable Gaussians: bump_k(y, x) = h_k * gy_k(y) * gx_k(x); take the max over k.
    gy = np.exp(-((ys[None, :] - points[:, 1:2]) ** 2) / (2 * s * s))  # (k, H)
    gx = np.exp(-((xs[None, :] - points[:, 0:1]) ** 2) / (2 * s * s))  # (k, W)
    bumps = np.zeros((height, width), np.float32)
    for start in range(0, len(points), 64):  # bounded memory: 64 x H x W at a time
        chunk = heights[start:start + 64, None, None] * gy[start:start + 64, :, None] * gx[start:start + 64, None, :]
        bumps = np.maximum(bumps, chunk.max(axis=0))
    weights = 1.0 + strength * bumps
    return (weights / weights.mean())[..., None].astype(np.float32)


class LandmarkWeights:
    """`uint8 image -> (H, W, 1) weight map` for input pipelines: runs `FaceMesh`, then `landmark_weight_map`.

    Thread-safe (the TFLite interpreters are shared behind a lock), so it can
    run inside `tf.data` maps. Counts faces found and not found.

    Args:
        strength, sigma, face_weight, feature_weight: as `landmark_weight_map`.
        face_mesh: a `FaceMesh` (default: a new one).
    """

    def __init__(self, strength=1.0, sigma=0.02, face_weight=1.0, feature_weight=4.0, face_mesh=None):
        import threading

        from keras_animegan.landmarks.face_mesh import FaceMesh

        self.options = dict(strength=strength, sigma=sigma, face_weight=face_weight, feature_weight=feature_weight)
        self.face_mesh = face_mesh or FaceMesh()
        self._lock = threading.Lock()
        self.found = self.missed = 0

    def from_landmarks(self, landmarks, found, height, width):
        """The map from landmarks already computed (e.g. stored by the `thumbs` builder)."""
        if found:
            self.found += 1
        else:
            self.missed += 1
        return landmark_weight_map(landmarks, found, height, width, **self.options)

    def __call__(self, image):
        with self._lock:
            result = self.face_mesh(np.asarray(image))
            if result.found:
                self.found += 1
            else:
                self.missed += 1
        h, w = image.shape[:2]
        return landmark_weight_map(result.landmarks, result.found, h, w, **self.options)
