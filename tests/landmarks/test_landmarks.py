"""FaceMesh accuracy against MediaPipe's own result, weight maps, face crops, and the landmark loss hooks."""

import math
import os

import numpy as np
import pytest
import skimage.data
import tensorflow as tf

from keras_animegan.landmarks import FEATURES
from keras_animegan.landmarks import FaceMesh
from keras_animegan.landmarks import LandmarkWeights
from keras_animegan.landmarks import crop_face
from keras_animegan.landmarks import crop_transform
from keras_animegan.landmarks import landmark_weight_map
from keras_animegan.landmarks.weights import FEATURE_INDICES
from keras_animegan.landmarks.weights import LEFT_EYE
from keras_animegan.landmarks.weights import RIGHT_EYE
from keras_animegan.losses import weighted_l1

REFERENCE = os.path.join(os.path.dirname(__file__), "astronaut_face_mesh_reference.npy")


@pytest.fixture(scope="module")
def mesh():
    return FaceMesh()


@pytest.fixture(scope="module")
def astronaut():
    return skimage.data.astronaut()


def test_astronaut_matches_mediapipe_within_1_5_px(mesh, astronaut):
    result = mesh(astronaut)
    reference = np.load(REFERENCE)
    assert result.found and result.landmarks.shape == (468, 3)
    errors = np.linalg.norm((result.landmarks[:, :2] - reference[:, :2]) * 512, axis=1)
    assert errors.mean() < 1.5, errors.mean()
    assert np.corrcoef(result.landmarks[:, 2], reference[:, 2])[0, 1] > 0.95  # relative depth agrees
    x0, y0, x1, y1 = result.box
    inside = (reference[:, 0] > x0) & (reference[:, 0] < x1) & (reference[:, 1] > y0) & (reference[:, 1] < y1)
    assert inside.mean() > 0.8  # the face box holds the face


def test_image_without_a_face(mesh):
    for image in (np.full((200, 300, 3), 128, np.uint8), np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)):
        result = mesh(image)
        assert result.found is False
        assert not result.landmarks.any() and not result.box.any()
    with pytest.raises(ValueError, match="uint8"):
        mesh(np.zeros((8, 8), np.float32))


def test_non_square_image_keeps_coordinates(mesh, astronaut):
    # Pad the astronaut to a wide image: the landmarks move with the face.
    wide = np.zeros((512, 768, 3), np.uint8)
    wide[:, 128:640] = astronaut
    result = mesh(wide)
    reference = np.load(REFERENCE)
    expected = (reference[:, :2] * 512 + [128, 0]) / [768, 512]
    assert np.abs(result.landmarks[:, :2] - expected).mean() * 512 < 2.0


def test_feature_indices_sit_where_the_features_are():
    reference = np.load(REFERENCE)
    y = {name: reference[list(ids), 1].mean() for name, ids in FEATURES.items()}
    assert y["left_eyebrow"] < y["left_eye"] < y["nose"] < y["lips"]
    assert y["right_eyebrow"] < y["right_eye"] < y["nose"]
    assert reference[list(FEATURES["left_eye"]), 0].mean() > reference[list(FEATURES["right_eye"]), 0].mean()


def test_weight_map_peaks_at_landmarks_and_has_mean_one():
    reference = np.load(REFERENCE)
    weights = landmark_weight_map(reference, True, 128, 128, strength=2.0)[..., 0]
    assert weights.shape == (128, 128)
    assert weights.sum() == pytest.approx(128 * 128, rel=1e-5)  # mean 1: the loss keeps its scale
    peak = np.unravel_index(weights.argmax(), weights.shape)
    feature_pixels = reference[FEATURE_INDICES, :2] * 128
    assert np.min(np.linalg.norm(feature_pixels - [peak[1] + 0.5, peak[0] + 0.5], axis=1)) < 2.0
    corner, at_eye = weights[2, 2], weights[int(reference[33, 1] * 128), int(reference[33, 0] * 128)]
    assert at_eye > 3 * corner
    np.testing.assert_array_equal(landmark_weight_map(reference, False, 16, 16), np.ones((16, 16, 1)))
    np.testing.assert_array_equal(landmark_weight_map(reference, True, 16, 16, strength=0), np.ones((16, 16, 1)))
    # Same scale at every size.
    assert landmark_weight_map(reference, True, 64, 64).mean() == pytest.approx(1.0, abs=1e-5)


def test_landmark_loss_gradient_is_larger_inside_landmark_regions(astronaut):
    small = tf.image.resize(astronaut[None], (64, 64), antialias=True).numpy()[0].astype(np.uint8)
    weights = LandmarkWeights(strength=2.0)(small)[None]
    assert weights.shape == (1, 64, 64, 1)
    real = tf.constant(small[None] / 127.5 - 1.0, tf.float32)
    rec = tf.Variable(real + 0.1)
    region = weights[0, ..., 0] > 2.0  # the facial features

    def gradient(weight):
        with tf.GradientTape() as tape:
            loss = weighted_l1(rec, real, weight)
        return np.abs(tape.gradient(loss, rec).numpy()[0]).mean(axis=-1)

    with_loss, without = gradient(weights), gradient(None)
    assert region.any() and (~region).any()
    assert with_loss[region].mean() > 2 * without[region].mean()
    assert with_loss[~region].mean() < without[~region].mean()


def test_crop_face_levels_the_eyes(mesh, astronaut):
    import cv2

    center = (256.0, 256.0)
    tilted = cv2.warpAffine(astronaut, cv2.getRotationMatrix2D(center, 15, 1.0), (512, 512), borderMode=cv2.BORDER_REFLECT_101)
    crop = crop_face(tilted, mesh(tilted), size=192)
    assert crop.shape == (192, 192, 3) and crop.dtype == np.uint8
    result = mesh(crop)
    assert result.found
    points = result.pixels(192, 192)
    right, left = points[list(RIGHT_EYE)].mean(0), points[list(LEFT_EYE)].mean(0)
    assert abs(math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))) < 3.0
    no_face = crop_face(np.zeros((40, 60, 3), np.uint8), mesh(np.zeros((40, 60, 3), np.uint8)), size=16)
    assert no_face.shape == (16, 16, 3)


def test_crop_transform_maps_the_landmarks_onto_the_crop(mesh, astronaut):
    """What the demo's landmark overlay draws: the photo's landmarks through `crop_transform` land where
    the mesh finds them on the crop itself."""
    import cv2

    tilted = cv2.warpAffine(astronaut, cv2.getRotationMatrix2D((256.0, 256.0), 15, 1.0), (512, 512),
                            borderMode=cv2.BORDER_REFLECT_101)
    result = mesh(tilted)
    matrix, side = crop_transform(result, 512, 512, size=192)
    assert matrix.shape == (2, 3) and side == 192
    mapped = result.pixels(512, 512) @ matrix[:, :2].T + matrix[:, 2]
    on_crop = mesh(crop_face(tilted, result, size=192)).pixels(192, 192)
    assert np.linalg.norm(mapped - on_crop, axis=1).mean() < 3.0  # px of 192
    assert np.linalg.norm(mapped - mapped.mean(0), axis=1).mean() > 20  # a face, not a point


def test_task_model_path_needs_mediapipe_and_says_so(tmp_path):
    # mediapipe is an optional extra (not installed in CI); either way the outcome is checked.
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="keras-animegan\\[mediapipe\\]"):
            FaceMesh(task_model_path=str(tmp_path / "face_landmarker.task"))
    else:  # with mediapipe installed, a missing .task file is its own error
        with pytest.raises(Exception):
            FaceMesh(task_model_path=str(tmp_path / "face_landmarker.task"))


def test_landmark_weighted_content_loss_gradient_is_larger_inside(astronaut):
    from keras_animegan.losses import content_loss

    small = tf.image.resize(astronaut[None], (64, 64), antialias=True).numpy()[0].astype(np.uint8)
    weights = LandmarkWeights(strength=2.0)(small)[None]  # image resolution (1, 64, 64, 1)
    photo_features = tf.random.stateless_normal((1, 16, 16, 8), (1, 2))
    generated = tf.Variable(photo_features + 0.1)
    region = tf.image.resize(weights, (16, 16), method="area").numpy()[0, ..., 0] > 2.0

    def gradient(weight):
        with tf.GradientTape() as tape:
            loss = content_loss(photo_features, generated, weight)
        return np.abs(tape.gradient(loss, generated).numpy()[0]).mean(axis=-1)

    with_loss, without = gradient(weights), gradient(None)
    assert region.any()
    assert with_loss[region].mean() > 2 * without[region].mean()
    assert with_loss[~region].mean() < without[~region].mean()
