"""Reading a person's attributes off a photo, in regions placed by the face mesh (plain image analysis).

Every reader works in the face's own frame: `FaceFrame` takes the 468 face-mesh
points and gives the face width (the cheek contour points 234 and 454), the face
height (forehead point 10 to chin point 152) and the unit vectors across and down
the face, so a region is "0.2 face widths outside the jaw", whatever the photo's
size, scale or roll. The readers return plain numbers (`Measurements`); turning
them into tags is `calibration.py`'s job.

- skin: the median CIELAB colour of the two cheeks and the forehead, with the
  eyes, brows, nostrils and lips outside those patches;
- hair colour: the median colour of a band above the forehead and beside the
  temples, keeping the pixels that are unlike the skin;
- hair length: how much of the space beside the jaw and the neck has the hair's
  colour rather than the background's or the skin's;
- glasses: horizontal edges on the nose bridge (the bridge of a frame) and
  under the eyes (the lower rims), against the same edges on the cheeks;
- facial hair: how much darker the chin and the upper lip are than the cheeks;
- smile: the mouth's width over the face's width, and the lips' opening;
- lenses: how much darker than the cheeks the eyes are (dark lenses hide the whites of the eyes).
"""

import dataclasses

import numpy as np

# Face-mesh points (MediaPipe's 468-point topology).
FOREHEAD_TOP = 10
CHIN = 152
FACE_RIGHT = 234  # the person's right: image left
FACE_LEFT = 454
NOSE_BRIDGE = 168
RIGHT_CHEEK = 50
LEFT_CHEEK = 280
FOREHEAD = 151
RIGHT_TEMPLE = 54
LEFT_TEMPLE = 284
RIGHT_JAW = (132, 58, 172, 136, 150)
LEFT_JAW = (361, 288, 397, 365, 379)
MOUTH_RIGHT = 61
MOUTH_LEFT = 291
UPPER_LIP = 13
LOWER_LIP = 14
UPPER_LIP_SKIN = 164  # between the nose and the upper lip
CHIN_CENTER = 175
RIGHT_EYE_CENTER = (33, 133)
LEFT_EYE_CENTER = (362, 263)
#: Photos are scaled so the face (points 234 to 454) is this many pixels wide before reading.
CANONICAL_FACE_WIDTH = 128


class FaceFrame:
    """The face's own frame from its landmarks in pixels: sizes, axes, and masks of regions in it."""

    def __init__(self, points, height, width):
        self.points = np.asarray(points, np.float32)[:, :2]
        self.height, self.width = height, width
        across = self.points[FACE_LEFT] - self.points[FACE_RIGHT]
        self.face_width = float(np.linalg.norm(across)) or 1.0
        self.across = across / self.face_width  # image-left to image-right across the face
        self.down = np.array([-self.across[1], self.across[0]], np.float32)  # forehead to chin
        self.face_height = float(np.linalg.norm(self.points[CHIN] - self.points[FOREHEAD_TOP])) or 1.0
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        self._xy = np.stack([xs + 0.5, ys + 0.5], axis=-1)

    def point(self, index):
        return self.points[index]

    def coordinates(self, origin):
        """Every pixel's (across, down) offset from `origin`, in face widths."""
        offset = self._xy - np.asarray(origin, np.float32)
        return offset @ self.across / self.face_width, offset @ self.down / self.face_width

    def disc(self, center, radius):
        """Pixels within `radius` face widths of `center`."""
        u, v = self.coordinates(center)
        return u * u + v * v <= radius * radius

    def box(self, origin, across, down):
        """Pixels with (across, down) offsets from `origin` within the two (low, high) ranges, in face widths."""
        u, v = self.coordinates(origin)
        return (u >= across[0]) & (u <= across[1]) & (v >= down[0]) & (v <= down[1])


@dataclasses.dataclass
class Measurements:
    """What the readers measured on one photo (see the module docstring). Colours are CIELAB."""

    skin_lab: tuple
    hair_lab: tuple
    hair_found: float  # share of the hair band unlike the skin (0: bald or a hat of skin colour)
    long_hair: float
    glasses: float
    facial_hair: float
    smile: float
    lenses: float = 0.0  # how much darker (L*) the eyes are than the cheeks


def _median(lab, mask):
    values = lab[mask]
    if len(values) == 0:
        return np.full(3, np.nan, np.float32)
    return np.median(values, axis=0)


def read_skin(frame, lab):
    """Median CIELAB of the cheeks and the forehead."""
    mask = (frame.disc(frame.point(RIGHT_CHEEK), 0.07) | frame.disc(frame.point(LEFT_CHEEK), 0.07)
            | frame.disc(frame.point(FOREHEAD), 0.06))
    return _median(lab, mask)


def read_hair(frame, lab, skin):
    """Median CIELAB of the hair above the forehead and beside the temples, and the share that is hair-like."""
    top = frame.point(FOREHEAD_TOP)
    band = frame.box(top, (-0.25, 0.25), (-0.28, -0.08))
    band |= frame.box(frame.point(RIGHT_TEMPLE), (-0.16, -0.04), (-0.15, 0.05))
    band |= frame.box(frame.point(LEFT_TEMPLE), (0.04, 0.16), (-0.15, 0.05))
    values = lab[band]
    if len(values) == 0:
        return np.full(3, np.nan, np.float32), 0.0
    unlike_skin = np.linalg.norm(values - skin, axis=1) > 12.0
    share = float(unlike_skin.mean())
    hair = values[unlike_skin] if unlike_skin.sum() >= 0.15 * len(values) else values
    return np.median(hair, axis=0), share


def read_long_hair(frame, lab, hair, skin):
    """Share of the space beside the jaw and the neck whose colour is the hair's, not the background's."""
    chin = frame.point(CHIN)
    # Background: the image's top corners, where neither hair nor face usually is.
    h, w = lab.shape[:2]
    k = max(2, min(h, w) // 16)
    corners = np.concatenate([lab[:k, :k].reshape(-1, 3), lab[:k, -k:].reshape(-1, 3)])
    background = np.median(corners, axis=0)
    scores = []
    for side, jaw in ((-1, RIGHT_JAW), (1, LEFT_JAW)):
        outer = frame.points[list(jaw)]
        # Beside the jaw, outward from its contour, and down to below the chin.
        edge = outer[np.argmax(side * (outer @ frame.across))]
        region = frame.box(edge, (0.04, 0.22) if side > 0 else (-0.22, -0.04), (-0.05, 0.35))
        region &= frame.box(chin, (-10, 10), (-0.45, 0.3))
        values = lab[region]
        if len(values) == 0:
            continue
        to_hair = np.linalg.norm(values - hair, axis=1)
        to_other = np.minimum(np.linalg.norm(values - background, axis=1), np.linalg.norm(values - skin, axis=1))
        scores.append(float(np.mean(to_hair < np.minimum(to_other, 25.0))))
    return float(np.mean(scores)) if scores else 0.0


def _edges(gray):
    import cv2

    return np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3))  # horizontal edges: d/dy


def read_glasses(frame, gray):
    """The strongest horizontal edges on the nose bridge (the bar of a frame), in L units per pixel.

    The bridge between the eyes is smooth skin without glasses; a frame's bar
    crosses it with a sharp step. The 90th percentile of |dL/dy| (Sobel, at the
    canonical face width) in a box on point 168 reads it. Lower rims and arms
    were tried and read worse (they fall on eyelids and hair).
    """
    edges = _edges(gray) / 4.0  # Sobel's 3x3 kernel sums 4 rows of differences: per-pixel step in L
    bridge = frame.box(frame.point(NOSE_BRIDGE), (-0.05, 0.05), (-0.06, 0.04))
    return float(np.percentile(edges[bridge], 90)) if bridge.any() else 0.0


def read_facial_hair(frame, lab, skin):
    """How much darker (in L) the chin and the upper lip are than the cheeks."""
    chin = frame.disc(frame.point(CHIN_CENTER), 0.06)
    lip = frame.disc(frame.point(UPPER_LIP_SKIN), 0.035)
    values = lab[chin | lip]
    if len(values) == 0:
        return 0.0
    return float(skin[0] - np.median(values[:, 0]))


def read_lenses(frame, lab, skin):
    """How much darker (in L) the eyes are than the cheeks: the median over a disc on each eye. An open eye
    mixes its white, iris and lids; a dark lens covers all of them."""
    eyes = np.zeros(lab.shape[:2], bool)
    for pair in (RIGHT_EYE_CENTER, LEFT_EYE_CENTER):
        eyes |= frame.disc(frame.points[list(pair)].mean(axis=0), 0.07)
    values = lab[eyes]
    if len(values) == 0:
        return 0.0
    return float(skin[0] - np.median(values[:, 0]))


def read_smile(frame):
    """Mouth width over face width, plus the lips' opening over the face width."""
    width = np.linalg.norm(frame.point(MOUTH_LEFT) - frame.point(MOUTH_RIGHT)) / frame.face_width
    opening = np.linalg.norm(frame.point(LOWER_LIP) - frame.point(UPPER_LIP)) / frame.face_width
    return float(width + opening)


def measure(image, landmarks):
    """`Measurements` of a uint8 RGB photo from its face-mesh landmarks (normalized, as `FaceMesh` gives).

    The photo is first scaled so the face is `CANONICAL_FACE_WIDTH` pixels wide, so
    edge and region readings mean the same at any photo size.
    """
    import cv2

    image = np.asarray(image, np.uint8)
    h, w = image.shape[:2]
    points = np.asarray(landmarks, np.float32)[:, :2] * np.array([w, h], np.float32)
    scale = CANONICAL_FACE_WIDTH / max(float(np.linalg.norm(points[FACE_LEFT] - points[FACE_RIGHT])), 1.0)
    if abs(scale - 1.0) > 0.02:
        size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        points = points * np.array([size[0] / w, size[1] / h], np.float32)
        h, w = image.shape[:2]
    frame = FaceFrame(points, h, w)
    lab = cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    skin = read_skin(frame, lab)
    hair, hair_found = read_hair(frame, lab, skin)
    return Measurements(
        skin_lab=tuple(map(float, skin)), hair_lab=tuple(map(float, hair)), hair_found=hair_found,
        long_hair=read_long_hair(frame, lab, hair, skin), glasses=read_glasses(frame, lab[..., 0]),
        facial_hair=read_facial_hair(frame, lab, skin), smile=read_smile(frame),
        lenses=read_lenses(frame, lab, skin))
