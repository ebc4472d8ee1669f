"""A face photo -> that person's avatar: face-mesh attribute readers, a lighting calibration, the tagged generator.

>>> from keras_animegan import Photo2Avatar
>>> avatar, tags = Photo2Avatar.from_preset("photo2avatar_64")("selfie.jpg")
"""

from keras_animegan.photo2avatar.calibration import DEFAULT_SETTINGS
from keras_animegan.photo2avatar.calibration import Calibration
from keras_animegan.photo2avatar.check import Choice
from keras_animegan.photo2avatar.pipeline import NoFaceError
from keras_animegan.photo2avatar.pipeline import Photo2Avatar
from keras_animegan.photo2avatar.pipeline import Reading
from keras_animegan.photo2avatar.readers import Measurements
from keras_animegan.photo2avatar.readers import measure
