"""Loss functions: adversarial pairs (and, later, reconstruction and perceptual)."""

from keras_animegan.losses.adversarial import GAN_MODES
from keras_animegan.losses.adversarial import AdversarialLoss
from keras_animegan.losses.adversarial import get_adversarial_loss
from keras_animegan.losses.adversarial import hinge_discriminator_loss
from keras_animegan.losses.adversarial import hinge_generator_loss
from keras_animegan.losses.adversarial import least_squares_discriminator_loss
from keras_animegan.losses.adversarial import least_squares_generator_loss
from keras_animegan.losses.adversarial import minimax_discriminator_loss
from keras_animegan.losses.adversarial import minimax_generator_loss
