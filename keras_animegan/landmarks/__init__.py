"""Face landmarks (MediaPipe Face Mesh, offline) and the landmark loss's weight maps."""

from keras_animegan.landmarks.face_mesh import FaceMesh
from keras_animegan.landmarks.face_mesh import FaceMeshResult
from keras_animegan.landmarks.weights import FEATURES
from keras_animegan.landmarks.weights import LandmarkWeights
from keras_animegan.landmarks.weights import landmark_weight_map
from keras_animegan.landmarks.crop import crop_face
from keras_animegan.landmarks.crop import crop_transform
