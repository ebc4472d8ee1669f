"""GAN models and their networks."""

from keras_animegan.models.cartoongan import CartoonGAN
from keras_animegan.models.cartoongan import CartoonGANPhase
from keras_animegan.models.cartoongan import cartoon_discriminator
from keras_animegan.models.cartoongan import cartoon_generator
from keras_animegan.models.cyclegan import CycleGAN
from keras_animegan.models.cyclegan import ImagePool
from keras_animegan.models.cyclegan import LinearDecaySchedule
from keras_animegan.models.cyclegan import patch_discriminator
from keras_animegan.models.cyclegan import resnet_generator
from keras_animegan.models.dcgan import DCGAN
from keras_animegan.models.dcgan import dcgan_discriminator
from keras_animegan.models.dcgan import dcgan_generator
from keras_animegan.models.gan_model import GANModel
from keras_animegan.models.feature_extractors import VGGPreprocess
from keras_animegan.models.feature_extractors import vgg_feature_extractor
