"""MediaPipe Face Mesh on a TFLite runtime: 468 face landmarks from an RGB image, offline.

The pipeline is MediaPipe's own (static image mode, one face):
1. BlazeFace short-range detection on the image letterboxed to 128x128, [-1, 1]
   input; 896 SSD anchors; sigmoid scores > 0.5; weighted non-maximum suppression
   (IoU 0.3). The most confident face wins.
2. The landmark region: the detection box's center, rotated so the eyes
   (keypoints 0 and 1) are level, a square of 1.5 x the box's long side.
3. Face Mesh on that region warped to 192x192, [0, 1] input; 468 (x, y, z)
   points projected back to the image.

The model files ship in this package (`landmarks/models`, Apache-2.0, from
mediapipe 0.10.21). They run on LiteRT (`ai-edge-litert`), the maintained
TFLite runtime, or on TensorFlow's `tf.lite.Interpreter` when LiteRT is not
installed (deprecated in TF, but present in 2.21).
"""

import dataclasses
import importlib.resources
import math

import numpy as np

from keras_animegan.utils.quiet import quiet_native_info

DETECTION_SIZE = 128
LANDMARK_SIZE = 192
NUM_LANDMARKS = 468
MIN_SCORE = 0.5
NMS_IOU = 0.3
ROI_SCALE = 1.5


def model_path(name):
    """Path of a model file shipped in `keras_animegan/landmarks/models`."""
    return str(importlib.resources.files("keras_animegan.landmarks").joinpath("models", name))


def _interpreter(path, num_threads=None):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # LiteRT not installed: TensorFlow's own (deprecated) interpreter
        import warnings

        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            interpreter = tf.lite.Interpreter(model_path=path, num_threads=num_threads)
    else:
        with quiet_native_info():  # LiteRT's "INFO: Created TensorFlow Lite XNNPACK delegate" line
            interpreter = Interpreter(model_path=path, num_threads=num_threads)
    with quiet_native_info():
        interpreter.allocate_tensors()
    return interpreter


def ssd_anchors():
    """The 896 anchor centers (x, y), normalized, of BlazeFace short range (strides 8, 16, 16, 16)."""
    strides = [8, 16, 16, 16]
    centers = []
    layer = 0
    while layer < len(strides):
        same = layer
        repeats = 0
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
            repeats += 2  # aspect ratio 1 + the interpolated scale; fixed anchor size
        cells = math.ceil(DETECTION_SIZE / strides[layer])
        for y in range(cells):
            for x in range(cells):
                centers.extend([((x + 0.5) / cells, (y + 0.5) / cells)] * repeats)
        layer = same
    return np.array(centers, np.float32)


@dataclasses.dataclass
class FaceMeshResult:
    """What `FaceMesh` returns for one image.

    Attributes:
        found: whether a face was detected.
        landmarks: (468, 3) float32: x and y normalized to the image width and height, z relative
            depth (same scale as x; smaller is nearer). Zeros when no face was found.
        box: (4,) float32 face box (xmin, ymin, xmax, ymax), normalized. Zeros when not found.
        score: detection confidence.
    """

    found: bool
    landmarks: np.ndarray
    box: np.ndarray
    score: float = 0.0

    @classmethod
    def empty(cls):
        return cls(False, np.zeros((NUM_LANDMARKS, 3), np.float32), np.zeros(4, np.float32), 0.0)

    def pixels(self, width, height):
        """Landmarks (468, 2) in pixel coordinates of a `width` x `height` image."""
        return self.landmarks[:, :2] * np.array([width, height], np.float32)


def _iou(box, boxes):
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(boxes, keypoints, scores, iou_threshold=NMS_IOU):
    """MediaPipe's weighted NMS: each kept face is the score-weighted mean of its overlapping candidates."""
    order = np.argsort(-scores)
    boxes, keypoints, scores = boxes[order], keypoints[order], scores[order]
    remaining = np.ones(len(scores), bool)
    faces = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        group = remaining & (_iou(boxes[i], boxes) > iou_threshold)
        group[i] = True
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(0) / weights.sum()
        kps = (keypoints[group] * weights[:, :, None]).sum(0) / weights.sum()
        faces.append((box, kps, float(scores[i])))
        remaining &= ~group
    return faces


class FaceMesh:
    """468 face landmarks of the most prominent face in an RGB uint8 image, with MediaPipe's models.

    Runs offline with the model files shipped in the package. Callable on one
    image `(H, W, 3)` uint8 RGB; returns a `FaceMeshResult` (`found`,
    `landmarks`, `box`). An image without a face gives `found=False`.

    Args:
        min_score: detection score threshold (MediaPipe: 0.5).
        num_threads: TFLite interpreter threads (None: the runtime's default).
        task_model_path: optional path to a MediaPipe Tasks `face_landmarker.task` file: the
            landmarks then come from the `mediapipe` package's `FaceLandmarker` (the `mediapipe`
            extra; its first 468 of 478 points are this topology).

    Example:

    >>> mesh = FaceMesh()
    >>> result = mesh(skimage.data.astronaut())
    >>> result.found, result.landmarks.shape
    (True, (468, 3))
    """

    def __init__(self, min_score=MIN_SCORE, num_threads=None, task_model_path=None):
        self.min_score = min_score
        self.task = None
        if task_model_path is not None:
            self.task = _tasks_face_landmarker(task_model_path, min_score)
            return
        self.detector = _interpreter(model_path("face_detection_short_range.tflite"), num_threads)
        self.mesh = _interpreter(model_path("face_landmark.tflite"), num_threads)
        self.anchors = ssd_anchors()

    @staticmethod
    def _run(interpreter, tensor):
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor[None].astype(np.float32))
        interpreter.invoke()
        return [interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()]

    def detect(self, image):
        """Faces as (box (xmin, ymin, xmax, ymax), keypoints (6, 2), score), normalized; best first."""
        import cv2

        h, w = image.shape[:2]
        scale = DETECTION_SIZE / max(h, w)
        pad_x, pad_y = (DETECTION_SIZE - w * scale) / 2, (DETECTION_SIZE - h * scale) / 2
        # Letterbox (keep the aspect ratio, zero borders) with one affine warp.
        matrix = np.array([[scale, 0, pad_x + 0.5 * scale - 0.5], [0, scale, pad_y + 0.5 * scale - 0.5]], np.float32)
        letterboxed = cv2.warpAffine(image, matrix, (DETECTION_SIZE, DETECTION_SIZE), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        tensor = letterboxed.astype(np.float32) / 127.5 - 1.0
        outputs = self._run(self.detector, tensor)
        raw = next(o for o in outputs if o.shape[-1] == 16)[0]
        logits = next(o for o in outputs if o.shape[-1] == 1)[0, :, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        keep = scores > self.min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self.anchors[keep]
        centers = raw[:, 0:2] / DETECTION_SIZE + anchors
        sizes = raw[:, 2:4] / DETECTION_SIZE
        boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], axis=1)
        keypoints = raw[:, 4:16].reshape(-1, 6, 2) / DETECTION_SIZE + anchors[:, None, :]
        # Undo the letterbox: letterboxed-normalized -> image-normalized.
        offset = np.array([pad_x, pad_y], np.float32) / DETECTION_SIZE
        span = np.array([w * scale, h * scale], np.float32) / DETECTION_SIZE
        boxes = ((boxes.reshape(-1, 2, 2) - offset) / span).reshape(-1, 4)
        keypoints = (keypoints - offset) / span
        return weighted_nms(boxes, keypoints, scores)

    @staticmethod
    def region(box, keypoints, width, height):
        """The landmark region in pixels: center (x, y), side, rotation (radians) - MediaPipe's rules."""
        center = np.array([(box[0] + box[2]) / 2 * width, (box[1] + box[3]) / 2 * height])
        right_eye, left_eye = keypoints[0] * (width, height), keypoints[1] * (width, height)
        rotation = -math.atan2(-(left_eye[1] - right_eye[1]), left_eye[0] - right_eye[0])
        rotation = rotation - 2 * math.pi * math.floor((rotation + math.pi) / (2 * math.pi))
        side = max((box[2] - box[0]) * width, (box[3] - box[1]) * height) * ROI_SCALE
        return center, side, rotation

    def __call__(self, image):
        import cv2

        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"FaceMesh takes an RGB uint8 image (H, W, 3); got {image.dtype} {image.shape}.")
        h, w = image.shape[:2]
        if self.task is not None:
            return _run_task(self.task, image)
        faces = self.detect(image)
        if not faces:
            return FaceMeshResult.empty()
        box, keypoints, score = faces[0]
        center, side, rotation = self.region(box, keypoints, w, h)
        cos, sin = math.cos(rotation), math.sin(rotation)
        # Output pixel (u, v) (continuous, 0..192) -> image point: center + R @ ((u, v) / 192 - 0.5) * side.
        a = side / LANDMARK_SIZE
        linear = np.array([[cos * a, -sin * a], [sin * a, cos * a]])
        shift = center - linear @ np.array([LANDMARK_SIZE / 2, LANDMARK_SIZE / 2])
        # cv2 indexes pixel centers at integers: continuous = index + 0.5 on both sides.
        inverse = np.concatenate([linear, (shift + linear @ np.array([0.5, 0.5]) - 0.5)[:, None]], axis=1)
        crop = cv2.warpAffine(image, inverse.astype(np.float32), (LANDMARK_SIZE, LANDMARK_SIZE),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=0)
        outputs = self._run(self.mesh, crop.astype(np.float32) / 255.0)
        points = next(o for o in outputs if o.size == NUM_LANDMARKS * 3).reshape(NUM_LANDMARKS, 3)
        xy = points[:, :2] @ linear.T + shift  # crop pixels (continuous) -> image pixels
        landmarks = np.empty((NUM_LANDMARKS, 3), np.float32)
        landmarks[:, 0] = xy[:, 0] / w
        landmarks[:, 1] = xy[:, 1] / h
        landmarks[:, 2] = points[:, 2] * a / w  # same scale as x
        return FaceMeshResult(True, landmarks, np.asarray(box, np.float32), score)


def _tasks_face_landmarker(path, min_score):
    try:
        from mediapipe.tasks import python as mp_tasks
        from mediapipe.tasks.python import vision
    except ImportError as error:
        raise ImportError(
            "FaceMesh(task_model_path=...) needs the `mediapipe` package: pip install 'keras-animegan[mediapipe]' (from a clone: pip install '.[mediapipe]'). "
            "Without it, FaceMesh() runs the shipped models offline."
        ) from error
    options = vision.FaceLandmarkerOptions(
        base_options=mp_tasks.BaseOptions(model_asset_path=str(path)), num_faces=1,
        min_face_detection_confidence=min_score, running_mode=vision.RunningMode.IMAGE)
    return vision.FaceLandmarker.create_from_options(options)


def _run_task(landmarker, image):
    import mediapipe as mp

    result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image)))
    if not result.face_landmarks:
        return FaceMeshResult.empty()
    points = np.array([[p.x, p.y, p.z] for p in result.face_landmarks[0][:NUM_LANDMARKS]], np.float32)
    box = np.concatenate([points[:, :2].min(0), points[:, :2].max(0)]).astype(np.float32)
    return FaceMeshResult(True, points, box, 1.0)
