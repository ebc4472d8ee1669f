"""Layers shared by the networks, one concept per file: reflection padding, instance norm, cross-replica
batch norm, the ResNet block, bilinear upsampling, the conv to RGB, pixel shuffle, the output dtype under mixed precision."""

from keras_animegan.layers.bilinear_upsampling import BilinearUpsampling2x
from keras_animegan.layers.initializers import gan_normal
from keras_animegan.layers.instance_norm import instance_norm
from keras_animegan.layers.narrow_conv import NarrowConv2D
from keras_animegan.layers.pixel_shuffle import PixelShuffle
from keras_animegan.layers.precision import output_dtype
from keras_animegan.layers.reflection_padding import ReflectionPadding2D
from keras_animegan.layers.residual_block import residual_block
from keras_animegan.layers.sync_batch_normalization import SyncBatchNormalization
