"""GAN models and their networks."""

from keras_animegan.models.dcgan import DCGAN
from keras_animegan.models.dcgan import dcgan_discriminator
from keras_animegan.models.dcgan import dcgan_generator
from keras_animegan.models.gan_model import GANModel
