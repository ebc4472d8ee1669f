"""Layers shared by the networks: reflection padding, instance norm, cross-replica batch norm, residual blocks."""

from keras_animegan.layers.initializers import gan_normal
from keras_animegan.layers.layers import BilinearUpsampling2x
from keras_animegan.layers.layers import ReflectionPadding2D
from keras_animegan.layers.layers import SyncBatchNormalization
from keras_animegan.layers.layers import instance_norm
from keras_animegan.layers.layers import output_dtype
from keras_animegan.layers.layers import residual_block
