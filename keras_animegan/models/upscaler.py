"""Upscaler: x4 super-resolution of anime images as a GAN, made for the avatars this package generates."""

import keras
from keras import ops

from keras_animegan.losses import huber
from keras_animegan.models.cartoongan_phase import CartoonGANPhase
from keras_animegan.models.gan_model import GANModel
from keras_animegan.models.patch_discriminator import patch_discriminator
from keras_animegan.models.registry import register_model
from keras_animegan.models.upscaler_generator import upscaler_generator
from keras_animegan.utils import tiles


#: The input side of fixed-size exports (LiteRT): the avatars' 64 px.
EXPORT_SIZE = 64


@keras.saving.register_keras_serializable(package="keras_animegan")
@register_model("upscaler", trainer="keras_animegan.train.upscaler:UpscalerTrainer",
                description="x4 super-resolution of anime images (64 px avatars -> 256 px)",
                tiny=dict(filters=4, num_convs=1, disc_filters=4, num_disc_layers=1, patch_size=32))
class Upscaler(GANModel):
    """A x4 super-resolution GAN for anime drawings and the avatars the other models generate.

    `model(images)` upscales [-1, 1] images of any size (the network is fully convolutional);
    `model.upscale(images)` takes uint8 or [-1, 1] images of any size, one or a batch, and works in
    tiles so that large images keep memory bounded.

    `fit()` takes batches `(low, high)`: low-resolution inputs and their high-resolution originals
    (`keras_animegan.data.degradations.make_pairs` makes them from high-resolution images), or
    `(low, high, unpaired)`, where `unpaired` are low-resolution images with no original, for
    example a generator's own samples: the discriminator judges their upscaled versions against real
    high-resolution patches, which aims the upscaler at generated inputs (StackGAN's stage II judges
    its upscaled samples the same way).

    Losses (progress bar order): `d_loss`; `pixel_loss` (Huber to the originals, as waifu2x trains);
    `adv_loss` (the upscaled inputs fooling D); `unpaired_adv` (the upscaled unpaired images fooling
    D); `consistency` (Huber between the unpaired images and their upscaled versions averaged back
    down, which keeps their colours and shapes); `g_loss` (the weighted total). For the first
    `init_steps` steps only the pixel loss trains (Real-ESRGAN's pixel-loss start, RealESRNet), then
    all of them.

    Args:
        generator: the network, or None for `upscaler_generator(scale, filters, num_convs)`.
        discriminator: the high-resolution PatchGAN, or None for `patch_discriminator()`.
        scale: the upscaling factor.
        filters: hidden channels of the default generator.
        num_convs: hidden convs of the default generator.
        disc_filters: channels of the default discriminator's first conv.
        num_disc_layers: stride-2 layers of the default discriminator.
        pixel_weight: weight of the pixel loss.
        pixel_delta: where the Huber pixel loss turns from quadratic to linear ([-1, 1] units).
        adversarial_weight: weight of the adversarial loss on paired inputs.
        unpaired_weight: weight of the adversarial loss on unpaired inputs.
        consistency_weight: weight of the unpaired inputs' downscale consistency.
        init_steps: pixel-loss-only steps before the adversarial terms start.
        patch_size: the high-resolution training patch size (the discriminator's input).
        **kwargs: passed to `GANModel` (`seed`, `ema_decay`, ...) and `keras.Model`.

    Example:

    >>> upscaler = keras_animegan.Upscaler.from_preset("upscaler_avatars_x4")
    >>> big = upscaler.upscale(avatars_uint8)          # (n, 64, 64, 3) -> (n, 256, 256, 3), uint8
    >>> big = upscaler(images)                          # [-1, 1] floats, any size

    Reference:
        Ledig et al. "Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial
        Network" (SRGAN), CVPR 2017. Wang et al. "Real-ESRGAN", ICCVW 2021. Zhang et al. "StackGAN",
        ICCV 2017.
    """

    network_names = ("generator", "discriminator")
    loss_names = ("d_loss", "pixel_loss", "adv_loss", "unpaired_adv", "consistency", "g_loss")
    default_learning_rate = 2e-4
    #: A kind of its own: an image in, the same image `scale` times larger out (exports, `keras-animegan upscale`).
    input_kind = "upscale"
    batch_inputs = ("low_res", "images")  # the pairs: low resolution, high resolution

    @property
    def image_size(self):
        """The side of the high-resolution training patches (what the discriminator sees)."""
        return self.patch_size

    def __init__(self, generator=None, discriminator=None, scale=4, filters=48, num_convs=10, disc_filters=32,
                 num_disc_layers=3, pixel_weight=1.0, pixel_delta=0.1, adversarial_weight=0.01, unpaired_weight=0.01,
                 consistency_weight=0.5, init_steps=0, patch_size=128, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.scale = int(scale)
        self.filters = int(filters)
        self.num_convs = int(num_convs)
        self.disc_filters = int(disc_filters)
        self.num_disc_layers = int(num_disc_layers)
        self.pixel_weight = float(pixel_weight)
        self.pixel_delta = float(pixel_delta)
        if self.pixel_delta <= 0:
            raise ValueError(f"pixel_delta must be > 0; got {pixel_delta!r}.")
        self.adversarial_weight = float(adversarial_weight)
        self.unpaired_weight = float(unpaired_weight)
        self.consistency_weight = float(consistency_weight)
        self.init_steps = int(init_steps)
        self.patch_size = int(patch_size)
        if self.patch_size % self.scale:
            raise ValueError(f"patch_size must be a multiple of scale ({self.scale}); got {self.patch_size}.")
        for name in ("pixel_weight", "adversarial_weight", "unpaired_weight", "consistency_weight"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0; got {getattr(self, name)!r}.")
        self.generator = generator if generator is not None else upscaler_generator(self.scale, self.filters,
                                                                                    self.num_convs)
        self.discriminator = discriminator if discriminator is not None else patch_discriminator(
            None, self.disc_filters, self.num_disc_layers)
        self.initializing = self.init_steps > 0
        self.build_ema()
        self.built = True

    def step_flops(self, flops):
        """FLOPs of one training step per image (see `DCGAN.step_flops`): D step: G forward, D on the real and
        the upscaled patch (weights); G step: G (both), D (input gradients); the unpaired term left out."""
        g, d = flops(self.generator), flops(self.discriminator)
        return (g + 2 * d + 2 * d) + (3 * g + 2 * d)

    def export_options(self):
        """What every export format gets: the scale (in the manifest or model card), and the input side of
        fixed-size files (LiteRT): 64, the avatars' size, so a 64 px avatar runs in one tile."""
        return {"scale": self.scale, "size": EXPORT_SIZE}

    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="lsgan", **kwargs):
        """Configures training; default optimizers Adam(2e-4, beta_1=0.5), `gan_mode="lsgan"`."""
        super().compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, gan_mode=gan_mode, **kwargs)

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        if not any(isinstance(c, CartoonGANPhase) for c in callbacks):
            callbacks.insert(0, CartoonGANPhase())  # ends the pixel-only phase at init_steps
        return super().fit(*args, callbacks=callbacks, **kwargs)

    # ---------------------------------------------------------------- inference
    def upscale(self, images, tile_size=tiles.TILE_SIZE, batch_size=16):
        """Upscales images of any size: uint8 in, uint8 out; floats in [-1, 1] in, floats out.

        Args:
            images: one image `(h, w, 3)` or a batch `(n, h, w, 3)`.
            tile_size: images larger than this on a side are upscaled in overlapping tiles of this size.
            batch_size: tiles (or images) per network call.
        """
        network = self.inference_generator()
        # `predict_on_batch` runs a traced function (about 8x faster than an eager call for one 64 px avatar).
        return tiles.upscale(lambda x: ops.convert_to_numpy(network.predict_on_batch(x)), images, self.scale,
                             tile_size=tile_size, batch_size=batch_size)

    # -------------------------------------------------------------------- train
    @staticmethod
    def unpack(data):
        """`(low, high)`, `(low, high, unpaired)` or a dict with those keys -> three values (unpaired may be None)."""
        if isinstance(data, dict):
            return data["low"], data["high"], data.get("unpaired")
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return tuple(data)
        raise ValueError(f"Upscaler expects batches (low, high) or (low, high, unpaired); got {len(data)} elements.")

    def downscale(self, images):
        """`images` averaged over `scale x scale` blocks (what a drawing rendered that much smaller looks like)."""
        return ops.average_pool(images, self.scale, strides=self.scale, padding="valid")

    def pixel_step(self, low, high):
        """The first phase's step: the pixel loss only."""
        def loss_fn():
            pixel = huber(self.generator(low, training=True), high, self.pixel_delta)
            return self.scale_loss_for_replicas(self.pixel_weight * pixel, self.g_optimizer), pixel

        (_, pixel), grads = self.differentiate(loss_fn, self.generator_trainable_variables)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()
        return {"pixel_loss": self.update_loss_trackers(pixel_loss=pixel)["pixel_loss"]}

    def gan_step(self, data):
        low, high, unpaired = self.unpack(data)
        low = ops.cast(low, self.compute_dtype)
        high = ops.cast(high, self.compute_dtype)
        if self.initializing:  # a Python switch: the phase callback retraces at the boundary
            return self.pixel_step(low, high)
        inputs = [low] if unpaired is None else [low, ops.cast(unpaired, self.compute_dtype)]

        # Discriminator: real high-resolution patches real; upscaled inputs (paired and unpaired) fake.
        fakes = [ops.stop_gradient(x) for x in self.call_each(self.generator, inputs)]

        def discriminator_loss():
            penalty = 0.0
            if self.r1_gamma:
                penalty, real_logits = self.r1_penalty(self.discriminator, high, salt=0)
                fake_logits = self.call_each(self.discriminator, [self.augment_images(x, 1 + i)
                                                                  for i, x in enumerate(fakes)])
            else:
                real_logits, *fake_logits = self.call_each(
                    self.discriminator, [self.augment_images(high, 0)] + [self.augment_images(x, 1 + i)
                                                                          for i, x in enumerate(fakes)])
            fake_logits = ops.concatenate([ops.reshape(x, (-1,)) for x in fake_logits], axis=0)
            d_loss = self.discriminator_loss_fn(real_logits, fake_logits)
            return self.scale_loss_for_replicas(d_loss + penalty, self.d_optimizer), d_loss

        (_, d_loss), grads = self.differentiate(discriminator_loss, self.discriminator_trainable_variables)
        self.apply_update(self.d_optimizer, grads, self.discriminator_trainable_variables)

        def generator_loss():
            upscaled = self.call_each(self.generator, inputs)
            logits = self.call_each(self.discriminator, [self.augment_images(x, 4 + i) for i, x in enumerate(upscaled)])
            pixel = huber(upscaled[0], high, self.pixel_delta)
            adv = self.generator_loss_fn(logits[0])
            total = self.pixel_weight * pixel + self.adversarial_weight * adv
            unpaired_adv = consistency = ops.zeros((), pixel.dtype)
            if unpaired is not None:
                unpaired_adv = self.generator_loss_fn(logits[1])
                consistency = huber(self.downscale(upscaled[1]), inputs[1], self.pixel_delta)
                total = total + self.unpaired_weight * unpaired_adv + self.consistency_weight * consistency
            return (self.scale_loss_for_replicas(total, self.g_optimizer), total, pixel, adv, unpaired_adv,
                    consistency)

        (_, g_loss, pixel, adv, unpaired_adv, consistency), grads = self.differentiate(
            generator_loss, self.generator_trainable_variables)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()
        return self.update_loss_trackers(d_loss=d_loss, pixel_loss=pixel, adv_loss=adv, unpaired_adv=unpaired_adv,
                                         consistency=consistency, g_loss=g_loss)

def upscaled_generator(generator, upscaler, name=None):
    """One network: `generator` (noise, tags or image in, [-1, 1] images out) followed by `upscaler` (a network
    or an `Upscaler`), its output clipped to [-1, 1] in between. Exported, it answers with the large images in
    one call (`keras-animegan export --preset dcgan_tagged_avatars_64 --upscaler upscaler_avatars_x4`).

    >>> big = upscaled_generator(model.inference_generator(), Upscaler.from_preset("upscaler_avatars_x4"))
    >>> big(noise).shape                                  # (n, 256, 256, 3)
    """
    network = upscaler.inference_generator() if isinstance(upscaler, Upscaler) else upscaler
    # Both networks may be called "generator": each gets a name of its own in the chain (layers shared).
    generator = keras.Model(generator.inputs[0], generator.outputs[0], name="base")
    network = keras.Model(network.inputs[0], network.outputs[0], name="upscaler")
    inputs = keras.Input(generator.input_shape[1:], name="inputs")
    images = keras.layers.Activation(_clip_unit, name="clip")(generator(inputs))
    outputs = keras.layers.Activation(_clip_unit, name="clip_upscaled")(network(images))
    return keras.Model(inputs, outputs, name=name or "upscaled_generator")


def _clip_unit(x):
    return ops.clip(x, -1.0, 1.0)
