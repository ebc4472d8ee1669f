"""The weight initialization of the report's three GANs."""

import keras


def gan_normal(mean=0.0):
    """N(mean, 0.02): DCGAN's (Radford et al., 2016) initialization, kept by CycleGAN and CartoonGAN.

    Conv kernels start at `gan_normal()`; DCGAN's batch-norm scales at `gan_normal(1.0)`.
    """
    return keras.initializers.RandomNormal(mean=mean, stddev=0.02)
