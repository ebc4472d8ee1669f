"""GAN models and their networks: one model per file, each network in a file named for it."""

# The models first, in the order `keras-animegan train --help` lists them (their registration order).
from keras_animegan.models.dcgan import DCGAN  # noqa: I001
from keras_animegan.models.cyclegan import CycleGAN
from keras_animegan.models.cartoongan import CartoonGAN
from keras_animegan.models.tagged_dcgan import TaggedDCGAN
from keras_animegan.models.upscaler import Upscaler

from keras_animegan.models.cartoon_discriminator import cartoon_discriminator
from keras_animegan.models.cartoon_generator import cartoon_generator
from keras_animegan.models.cartoongan_phase import CartoonGANPhase
from keras_animegan.models.dcgan_discriminator import dcgan_discriminator
from keras_animegan.models.dcgan_generator import dcgan_generator
from keras_animegan.models.feature_extractors import VGGPreprocess
from keras_animegan.models.feature_extractors import tiny_feature_extractor
from keras_animegan.models.feature_extractors import vgg_feature_extractor
from keras_animegan.models.gan_model import GANModel
from keras_animegan.models.gan_model import input_kind_of
from keras_animegan.models.image_pool import ImagePool
from keras_animegan.models.linear_decay_schedule import LinearDecaySchedule
from keras_animegan.models.patch_discriminator import patch_discriminator
from keras_animegan.models.resnet_generator import resnet_generator
from keras_animegan.models.unet_generator import unet_generator
from keras_animegan.models.upscaler import upscaled_generator
from keras_animegan.models.upscaler_generator import upscaler_generator
from keras_animegan.models.registry import example_batch
from keras_animegan.models.registry import model_entry
from keras_animegan.models.registry import register_model
from keras_animegan.models.registry import registered_models
