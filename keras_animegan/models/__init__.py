"""GAN models and their networks."""

from keras_animegan.models.cyclegan import CycleGAN
from keras_animegan.models.cyclegan import ImagePool
from keras_animegan.models.cyclegan import LinearDecaySchedule
from keras_animegan.models.cyclegan import patch_discriminator
from keras_animegan.models.cyclegan import resnet_generator
from keras_animegan.models.cyclegan import weighted_l1
from keras_animegan.models.dcgan import DCGAN
from keras_animegan.models.dcgan import dcgan_discriminator
from keras_animegan.models.dcgan import dcgan_generator
from keras_animegan.models.gan_model import GANModel
