"""Sample-quality metrics: FID and KID from activations; the feature network is passed in."""

from keras_animegan.metrics.features import feature_model
from keras_animegan.metrics.features import inception_features
from keras_animegan.metrics.features import vgg_features
from keras_animegan.metrics.features import vgg16_pool_features

from keras_animegan.metrics.distances import activations
from keras_animegan.metrics.distances import fid
from keras_animegan.metrics.distances import fid_from_activations
from keras_animegan.metrics.distances import kid
from keras_animegan.metrics.distances import kid_from_activations
