"""DCGAN: 64x64 anime avatars from noise, with the report's networks."""


import keras
from keras import ops

from keras_animegan import backend as gan_backend
from keras_animegan.models.gan_model import GANModel
from keras_animegan.models.registry import register_model
from keras_animegan.models.dcgan_generator import dcgan_generator
from keras_animegan.models.dcgan_discriminator import dcgan_discriminator
from keras_animegan.utils import noise as seeded_noise


@keras.saving.register_keras_serializable(package="keras_animegan")
@register_model("dcgan", trainer="keras_animegan.train.dcgan:DCGANTrainer",
                description="avatars from noise", tiny=dict(latent_dim=8, image_size=32, base_filters=4))
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
        discriminator_norm: `"batch"` (report) or `"spectral"` (see
            `dcgan_discriminator`); used when `discriminator` is None.
        seed: seed for training noise and `sample()`.
        **kwargs: passed to `GANModel` (`ema_decay`, `augment`, `r1_gamma`)
            and `keras.Model`.

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
    input_kind = "noise"
    batch_inputs = ("images",)  # what `fit` takes (`registry.example_batch`)

    def __init__(
        self,
        generator=None,
        discriminator=None,
        latent_dim=100,
        image_size=64,
        base_filters=64,
        n_extra_layers=1,
        discriminator_norm="batch",
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.base_filters = base_filters
        self.n_extra_layers = n_extra_layers
        self.discriminator_norm = discriminator_norm
        if generator is None:
            generator = dcgan_generator(latent_dim, image_size, base_filters, n_extra_layers)
        if discriminator is None:
            discriminator = dcgan_discriminator(image_size, base_filters, n_extra_layers, norm=discriminator_norm)
        self.generator = generator
        self.discriminator = discriminator
        if self.generator.output_shape[1:] != self.discriminator.input_shape[1:]:
            raise ValueError(
                f"generator output shape {self.generator.output_shape[1:]} does not match "
                f"discriminator input shape {self.discriminator.input_shape[1:]}."
            )
        self.build_ema()
        self.build((None, latent_dim))

    def build(self, input_shape):
        self.built = True

    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="vanilla", **kwargs):
        """Configures training; `gan_mode` defaults to `"vanilla"` (the report's DCGAN loss).

        See `GANModel.compile` for the arguments.
        """
        super().compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, gan_mode=gan_mode, **kwargs)

    def step_flops(self, flops):
        """FLOPs of one training step per image, from `flops(network)` (one forward pass): a forward pass
        costs 1, its backward pass 1 for the weight gradients and 1 for the input gradients, each where needed.
        D step: G forward, D on real and fake (weights); G step: G (both), D (input gradients)."""
        g, d = flops(self.generator), flops(self.discriminator)
        return (1 * g + 2 * d + 2 * d) + (3 * g + 2 * d)

    def sample_noise(self, batch_size, seed):
        """Standard normal noise `(batch_size, latent_dim)` from a stateless `seed` (shape (2,))."""
        return gan_backend.stateless_normal((batch_size, self.latent_dim), seed)

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

    def noise_inputs(self, num_images, seed):
        """The noise `(num_images, latent_dim)` that `sample(num_images, seed)` draws: float32 from
        `keras_animegan.utils.noise`, the same on every backend, in the CLI, the demo and the SavedModels'
        `generate_images(count, seed)` (what the REST server runs)."""
        return seeded_noise.standard_normal(seed, (num_images, self.latent_dim))

    def sample(self, num_images, seed=None):
        """Generates `num_images` images in [-1, 1].

        Args:
            num_images: how many images.
            seed: int for reproducible samples: the same images on TensorFlow, JAX and PyTorch (the
                noise comes from `keras_animegan.utils.noise`, see `noise_inputs`); None draws from the model's `SeedGenerator`.
        """
        if seed is None:
            noise = keras.random.normal((num_images, self.latent_dim), seed=self.seed_generator)
        else:
            noise = self.noise_inputs(num_images, seed)
        return self(noise, training=False)

    def gan_step(self, data):
        real_images = data[0] if isinstance(data, (tuple, list)) else data
        real_images = ops.cast(real_images, self.compute_dtype)
        batch_size = ops.shape(real_images)[0]

        # Discriminator: real images -> real, generated images -> fake (both through the
        # same augmentation policy, if any).
        d_loss, grads = self.discriminator_gradients(real_images, self.replica_noise(batch_size, salt=0))
        self.apply_update(self.d_optimizer, grads, self.discriminator_trainable_variables)

        # Generator: fresh noise, make the discriminator call it real.
        g_loss, grads = self.generator_gradients(self.replica_noise(batch_size, salt=1))
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()

        return self.update_loss_trackers(d_loss=d_loss, g_loss=g_loss)

    def discriminator_gradients(self, real_images, noise):
        """`(d_loss, gradients)` of the discriminator's variables, on fakes drawn from `noise`.

        The gradients are of the loss the optimizer minimizes (R1 included, divided by the
        replicas, loss-scaled under float16); `d_loss` is the adversarial loss the progress bar shows.
        """
        def loss_fn():
            fake_images = self.generator(noise, training=True)
            if self.r1_gamma:
                r1, real_logits = self.r1_penalty(self.discriminator, real_images, salt=0)
            else:
                real_logits = self.discriminator(self.augment_images(real_images, 0), training=True)
            fake_logits = self.discriminator(self.augment_images(fake_images, 1), training=True)
            d_loss = self.discriminator_loss_fn(real_logits, fake_logits)
            total = d_loss + ops.cast(r1, d_loss.dtype) if self.r1_gamma else d_loss
            return self.scale_loss_for_replicas(total, self.d_optimizer), d_loss

        (_, d_loss), grads = self.differentiate(loss_fn, self.discriminator_trainable_variables)
        return d_loss, grads

    def generator_gradients(self, noise):
        """`(g_loss, gradients)` of the generator's variables for `noise` (see `discriminator_gradients`)."""
        def loss_fn():
            fake_images = self.generator(noise, training=True)
            fake_logits = self.discriminator(self.augment_images(fake_images, 2), training=True)
            g_loss = self.generator_loss_fn(fake_logits)
            return self.scale_loss_for_replicas(g_loss, self.g_optimizer), g_loss

        (_, g_loss), grads = self.differentiate(loss_fn, self.generator_trainable_variables)
        return g_loss, grads

