"""keras-animegan: Keras 3 GANs that turn noise and face photos into anime avatars."""

from keras_animegan.utils.optional import pick_backend as _pick_backend
from keras_animegan.utils.quiet import quiet_imports as _quiet_imports

_pick_backend()  # without TensorFlow and without a chosen backend: JAX, else PyTorch

with _quiet_imports():  # the commands start without TensorFlow's C++ log lines (see utils/quiet.py)
    import keras as _keras  # noqa: F401  (imports the backend: TensorFlow by default)

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
