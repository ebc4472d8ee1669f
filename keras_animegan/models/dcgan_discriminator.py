"""The DCGAN discriminator: image -> one logit by strided convolutions."""

import keras
from keras import layers

from keras_animegan.layers import gan_normal
from keras_animegan.layers import output_dtype
from keras_animegan.layers import SyncBatchNormalization
from keras_animegan.models.dcgan_generator import num_upsamplings


def dcgan_discriminator(image_size=64, base_filters=64, n_extra_layers=1, norm="batch", name="discriminator",
                        outputs=1):
    """The DCGAN discriminator, mirroring `dcgan_generator` down to one logit.

    (image_size, image_size, 3) -> stride-2 4x4 conv to `base_filters`
    (no batch norm, as in DCGAN) -> `n_extra_layers` size-preserving convs ->
    stride-2 convs doubling the channels down to 4x4 -> a 4x4 valid conv to
    one logit. Batch norm and LeakyReLU(0.2) after every conv but the first
    and the last.

    `norm="spectral"` wraps every conv in `keras.layers.SpectralNormalization`
    and drops the batch norms (Miyato et al. 2018: the discriminator is kept
    1-Lipschitz per layer instead of normalized per batch, so its output for an
    image does not depend on the rest of the batch).

    Args:
        image_size: input height and width: 32, 64, 128 or 256.
        base_filters: channels after the first conv (`ndf`).
        n_extra_layers: number of size-preserving conv layers.
        norm: `"batch"` (DCGAN, the report) or `"spectral"`.
        name: model name.
        outputs: logits per image: 1 (real or fake), or more for a tag-conditioned GAN's extra heads
            (`TaggedDCGAN`: the first is real-or-fake, the rest the tags).
    """
    if norm not in ("batch", "spectral"):
        raise ValueError(f"norm must be 'batch' or 'spectral'; got {norm!r}.")
    spectral = norm == "spectral"

    def conv(layer):
        return layers.SpectralNormalization(layer, name=f"sn_{layer.name}") if spectral else layer

    def normalize(x, name):
        return x if spectral else SyncBatchNormalization(gamma_initializer=gamma_init, name=name)(x)

    n_down = num_upsamplings(image_size)
    init = gan_normal()
    gamma_init = gan_normal(1.0)
    images = keras.Input((image_size, image_size, 3), name="images")
    filters = base_filters
    x = conv(layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init, name="from_rgb"))(images)
    x = layers.LeakyReLU(0.2)(x)
    for i in range(n_extra_layers):
        x = conv(layers.Conv2D(filters, 3, padding="same", use_bias=spectral, kernel_initializer=init,
                               name=f"extra{i}"))(x)
        x = normalize(x, f"extra{i}_bn")
        x = layers.LeakyReLU(0.2)(x)
    for i in range(n_down):
        filters *= 2
        x = conv(layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=spectral, kernel_initializer=init,
                               name=f"down{i}"))(x)
        x = normalize(x, f"down{i}_bn")
        x = layers.LeakyReLU(0.2)(x)
    x = conv(layers.Conv2D(outputs, 4, padding="valid", kernel_initializer=init, name="logit"))(x)
    logits = layers.Flatten(dtype=output_dtype(), name="flatten")(x)
    return keras.Model(images, logits, name=name)
