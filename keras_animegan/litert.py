"""Moved to `keras_animegan.export.litert` (every export format is one module of `keras_animegan.export`);
this name keeps earlier imports working."""

from keras_animegan.export.litert import *  # noqa: F401,F403
from keras_animegan.export.litert import LiteRTGenerator  # noqa: F401
from keras_animegan.export.litert import export_litert  # noqa: F401
from keras_animegan.export.litert import representative_images  # noqa: F401
