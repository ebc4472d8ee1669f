"""DCGAN: 64x64 anime avatars from noise, with the report's networks."""

import math

import keras
import tensorflow as tf
from keras import layers

from keras_animegan.layers import output_dtype
from keras_animegan.layers import SyncBatchNormalization
from keras_animegan.models.gan_model import GANModel

_INIT = {"mean": 0.0, "stddev": 0.02}


def _num_upsamplings(image_size):
    if image_size not in (32, 64, 128, 256):
        raise ValueError(f"image_size must be one of 32, 64, 128, 256; got {image_size!r}.")
    # 4x4 start, then (n) stride-2 transposed convs, then the final stride-2 one.
    return int(math.log2(image_size // 4)) - 1


def dcgan_generator(latent_dim=100, image_size=64, base_filters=64, n_extra_layers=1, name="generator"):
    """The report's DCGAN generator (Figure 2), as a functional `keras.Model`.

    z (latent_dim) -> (4, 4, base_filters * 2**n) -> n stride-2 transposed
    convs halving the channels to (image_size/2, image_size/2, base_filters)
    -> `n_extra_layers` size-preserving 3x3 convs -> a final stride-2
    transposed conv to (image_size, image_size, 3) and tanh. Every conv but
    the last is followed by batch norm and LeakyReLU(0.2). For the defaults,
    n = 3 and the path is 512x4x4 -> 256x8x8 -> 128x16x16 -> 64x32x32 ->
    extra -> 3x64x64, as in the report.

    The extra layers keep `base_filters` channels (the report's extra layer
    narrows to 3 channels before the last transposed conv; a 3-channel batch
    norm bottleneck throws away capacity, and `n_extra_layers` as in DCGAN's
    reference code keeps the width). Weights start at N(0, 0.02), as in the
    DCGAN paper.

    Args:
        latent_dim: length of the noise vector.
        image_size: output height and width: 32, 64, 128 or 256.
        base_filters: channels at the last hidden resolution (`ngf`).
        n_extra_layers: number of size-preserving conv layers.
        name: model name.
    """
    n_up = _num_upsamplings(image_size)
    init = keras.initializers.RandomNormal(**_INIT)
    gamma_init = keras.initializers.RandomNormal(mean=1.0, stddev=0.02)
    z = keras.Input((latent_dim,), name="noise")
    filters = base_filters * 2**n_up
    x = layers.Dense(4 * 4 * filters, use_bias=False, kernel_initializer=init, name="project")(z)
    x = layers.Reshape((4, 4, filters))(x)
    x = SyncBatchNormalization(gamma_initializer=gamma_init, name="project_bn")(x)
    x = layers.LeakyReLU(0.2)(x)
    for i in range(n_up):
        filters //= 2
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init, name=f"up{i}"
        )(x)
        x = SyncBatchNormalization(gamma_initializer=gamma_init, name=f"up{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    for i in range(n_extra_layers):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init, name=f"extra{i}")(x)
        x = SyncBatchNormalization(gamma_initializer=gamma_init, name=f"extra{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2DTranspose(3, 4, strides=2, padding="same", kernel_initializer=init, name="to_rgb")(x)
    # Outputs stay float32 under mixed precision.
    images = layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x)
    return keras.Model(z, images, name=name)


def dcgan_discriminator(image_size=64, base_filters=64, n_extra_layers=1, name="discriminator"):
    """The DCGAN discriminator, mirroring `dcgan_generator` down to one logit.

    (image_size, image_size, 3) -> stride-2 4x4 conv to `base_filters`
    (no batch norm, as in DCGAN) -> `n_extra_layers` size-preserving convs ->
    stride-2 convs doubling the channels down to 4x4 -> a 4x4 valid conv to
    one logit. Batch norm and LeakyReLU(0.2) after every conv but the first
    and the last.

    Args:
        image_size: input height and width: 32, 64, 128 or 256.
        base_filters: channels after the first conv (`ndf`).
        n_extra_layers: number of size-preserving conv layers.
        name: model name.
    """
    n_down = _num_upsamplings(image_size)
    init = keras.initializers.RandomNormal(**_INIT)
    gamma_init = keras.initializers.RandomNormal(mean=1.0, stddev=0.02)
    images = keras.Input((image_size, image_size, 3), name="images")
    filters = base_filters
    x = layers.Conv2D(filters, 4, strides=2, padding="same", kernel_initializer=init, name="from_rgb")(images)
    x = layers.LeakyReLU(0.2)(x)
    for i in range(n_extra_layers):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_initializer=init, name=f"extra{i}")(x)
        x = SyncBatchNormalization(gamma_initializer=gamma_init, name=f"extra{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    for i in range(n_down):
        filters *= 2
        x = layers.Conv2D(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init, name=f"down{i}"
        )(x)
        x = SyncBatchNormalization(gamma_initializer=gamma_init, name=f"down{i}_bn")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(1, 4, padding="valid", kernel_initializer=init, name="logit")(x)
    logits = layers.Flatten(dtype=output_dtype(), name="flatten")(x)
    return keras.Model(images, logits, name=name)


@keras.saving.register_keras_serializable(package="keras_animegan")
class DCGAN(GANModel):
    """Deep convolutional GAN (Radford et al., 2016) with the report's networks.

    `model(noise)` maps a batch of noise vectors `(batch, latent_dim)` to
    images `(batch, image_size, image_size, 3)` in [-1, 1]; `model.sample(n)`
    draws the noise for you. `fit()` takes batches of real images in [-1, 1]
    (`keras_animegan.data.image_dataset` makes them) and reports `d_loss` and
    `g_loss`.

    Args:
        generator: a generator network, or None to build `dcgan_generator()`.
        discriminator: a discriminator network, or None to build
            `dcgan_discriminator()`.
        latent_dim: noise length (report: 100).
        image_size: 32, 64 (report) or 128.
        base_filters: width of both networks (report: 64).
        n_extra_layers: size-preserving conv layers in each network (report: 1).
        seed: seed for training noise and `sample()`.
        **kwargs: passed to `keras.Model`.

    Example:

    >>> model = keras_animegan.DCGAN(image_size=64)
    >>> model.compile(g_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.5),
    ...               d_optimizer=keras.optimizers.Adam(3e-4, beta_1=0.5),
    ...               gan_mode="vanilla")
    >>> model.fit(keras_animegan.data.image_dataset("avatars.zip", 64, 128), epochs=100)
    >>> images = model.sample(16, seed=0)   # (16, 64, 64, 3) in [-1, 1]

    Reference:
        Radford, Metz, Chintala. "Unsupervised Representation Learning with
        Deep Convolutional Generative Adversarial Networks", ICLR 2016.
    """

    network_names = ("generator", "discriminator")
    loss_names = ("d_loss", "g_loss")
    default_learning_rate = 3e-4

    def __init__(
        self,
        generator=None,
        discriminator=None,
        latent_dim=100,
        image_size=64,
        base_filters=64,
        n_extra_layers=1,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.base_filters = base_filters
        self.n_extra_layers = n_extra_layers
        if generator is None:
            generator = dcgan_generator(latent_dim, image_size, base_filters, n_extra_layers)
        if discriminator is None:
            discriminator = dcgan_discriminator(image_size, base_filters, n_extra_layers)
        self.generator = generator
        self.discriminator = discriminator
        if self.generator.output_shape[1:] != self.discriminator.input_shape[1:]:
            raise ValueError(
                f"generator output shape {self.generator.output_shape[1:]} does not match "
                f"discriminator input shape {self.discriminator.input_shape[1:]}."
            )
        self.build((None, latent_dim))

    def build(self, input_shape):
        self.built = True

    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="vanilla", **kwargs):
        """Configures training; `gan_mode` defaults to `"vanilla"` (the report's DCGAN loss).

        See `GANModel.compile` for the arguments.
        """
        super().compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, gan_mode=gan_mode, **kwargs)

    def sample_noise(self, batch_size, seed):
        """Standard normal noise `(batch_size, latent_dim)` from a stateless `seed` (shape (2,))."""
        return tf.random.stateless_normal((batch_size, self.latent_dim), seed=seed)

    def replica_noise(self, batch_size, salt):
        """This replica's rows of the global batch's training noise for this step.

        The noise of the whole global batch is drawn from one stateless seed
        (model seed, step, `salt`) and each replica takes its own slice, so
        replicas draw different noise and N devices train on exactly the noise
        one device with the same global batch would.
        """
        replicas = self.num_replicas()
        seed = self.step_seed(salt, per_replica=False)
        if replicas == 1:
            return self.sample_noise(batch_size, seed)
        noise = self.sample_noise(batch_size * replicas, seed)
        start = self.replica_id() * batch_size
        return noise[start:start + batch_size]

    def sample(self, num_images, seed=None):
        """Generates `num_images` images in [-1, 1].

        Args:
            num_images: how many images.
            seed: int for reproducible samples; None draws from the model's
                `SeedGenerator`.
        """
        if seed is None:
            noise = keras.random.normal((num_images, self.latent_dim), seed=self.seed_generator)
        else:
            noise = keras.random.normal((num_images, self.latent_dim), seed=int(seed))
        return self(noise, training=False)

    def train_step(self, data):
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        real_images = tf.cast(real_images, self.compute_dtype)
        batch_size = tf.shape(real_images)[0]

        # Discriminator: real images -> real, generated images -> fake.
        noise = self.replica_noise(batch_size, salt=0)
        with tf.GradientTape() as tape:
            fake_images = self.generator(noise, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = self.discriminator_loss_fn(real_logits, fake_logits)
            scaled = self.scale_loss_for_replicas(d_loss, self.d_optimizer)
        variables = self.discriminator_trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)

        # Generator: fresh noise, make the discriminator call it real.
        noise = self.replica_noise(batch_size, salt=1)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(noise, training=True), training=True)
            g_loss = self.generator_loss_fn(fake_logits)
            scaled = self.scale_loss_for_replicas(g_loss, self.g_optimizer)
        variables = self.generator_trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)

        return self.update_loss_trackers(d_loss=d_loss, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            image_size=self.image_size,
            base_filters=self.base_filters,
            n_extra_layers=self.n_extra_layers,
        )
        return config
