"""keras-animegan: Keras 3 GANs that turn noise and face photos into anime avatars."""

from keras_animegan.version import __version__
from keras_animegan import data
from keras_animegan import losses
from keras_animegan import models
from keras_animegan import presets
from keras_animegan.models import CartoonGAN
from keras_animegan.models import CycleGAN
from keras_animegan.models import DCGAN
from keras_animegan.models import GANModel
from keras_animegan.presets import list_presets
