"""Loss functions: adversarial pairs, reconstruction, perceptual (content and Gram style)."""

from keras_animegan.losses.adversarial import GAN_MODES
from keras_animegan.losses.adversarial import AdversarialLoss
from keras_animegan.losses.adversarial import get_adversarial_loss
from keras_animegan.losses.adversarial import hinge_discriminator_loss
from keras_animegan.losses.adversarial import hinge_generator_loss
from keras_animegan.losses.adversarial import least_squares_discriminator_loss
from keras_animegan.losses.adversarial import least_squares_generator_loss
from keras_animegan.losses.adversarial import minimax_discriminator_loss
from keras_animegan.losses.adversarial import minimax_generator_loss
from keras_animegan.losses.adversarial import get_discriminator_terms
from keras_animegan.losses.perceptual import content_loss
from keras_animegan.losses.perceptual import gram_matrix
from keras_animegan.losses.perceptual import mean_gram_matrix
from keras_animegan.losses.perceptual import style_loss
from keras_animegan.losses.reconstruction import huber
from keras_animegan.losses.reconstruction import weighted_l1
