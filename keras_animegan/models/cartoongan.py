"""CartoonGAN: photo -> cartoon with content, Gram style and edge-promoting adversarial losses."""

import keras
from keras import ops

from keras_animegan.losses import content_loss
from keras_animegan.losses import get_discriminator_terms
from keras_animegan.losses import mean_gram_matrix
from keras_animegan.losses import style_loss
from keras_animegan.losses import weighted_l1
from keras_animegan.models.gan_model import GANModel
from keras_animegan.models.registry import register_model
from keras_animegan.models.cartoon_generator import cartoon_generator
from keras_animegan.models.cartoon_discriminator import cartoon_discriminator
from keras_animegan.models.cartoongan_phase import CartoonGANPhase
from keras_animegan.models.feature_extractors import tiny_feature_extractor
from keras_animegan.models.unet_generator import unet_generator

ARCHITECTURES = ("resnet", "unet")


@keras.saving.register_keras_serializable(package="keras_animegan")
@register_model("cartoongan", trainer="keras_animegan.train.cartoongan:CartoonGANTrainer",
                description="photo -> cartoon (edge-promoting adversarial loss)",
                tiny=dict(feature_extractor=lambda: tiny_feature_extractor(32), image_size=32, base_filters=4,
                          num_blocks=1, init_steps=0, style_weight=1.0))
class CartoonGAN(GANModel):
    """CartoonGAN (Chen, Lai, Liu, CVPR 2018) with the report's Gram style loss.

    `model(photos)` maps [-1, 1] photos to cartoons. `fit()` takes batches
    `(photo, cartoon, smoothed)` or `(photo, cartoon, smoothed, weight)`, where
    `smoothed` is the cartoon with its edges blurred (`keras_animegan.data.edge_smooth`)
    and `weight` `(batch, h, w, 1)` weights the content loss per photo pixel
    (the landmark loss hook; uniform when absent). Batches may also be dicts with
    the keys `photo`, `cartoon`, `smoothed` and optionally `weight` and `target`:
    `target` is a per-photo cartoon representation (`keras_animegan.data.flat_cartoon`
    of the photo, after White-box Cartoonization) that the generator's output is
    pulled toward with an L1 loss times `target_weight`, in both phases.

    Training has two phases in one `fit`: for the first `init_steps` generator
    steps only the content loss trains the generator (it reports `content_loss`
    only; the discriminator is not touched), then adversarial training reports
    `d_loss`, `adv_loss`, `content_loss`, `style_loss`, `g_loss`. The phase
    follows the step count, so a resumed run continues in the right phase;
    `CartoonGANPhase` (added by `fit` automatically) switches at the boundary.

    Losses: the discriminator calls real cartoons real and both G(photo) and the
    edge-smoothed cartoons fake (the edge-promoting loss: three terms, summed);
    content = L1 between feature maps of photo and G(photo), times
    `content_weight` (10); style = L1 between the Gram matrices of G(photo)'s
    features and the cartoon batch's, times `style_weight` (0 = off).

    Args:
        feature_extractor: a frozen model from [-1, 1] images to features, e.g.
            `keras_animegan.models.vgg_feature_extractor("vgg19")` (VGG19 at
            block4_conv4, CartoonGAN's). Passed in, never fetched here; None builds a model
            that only translates (training it raises).
        generator: the network, or None for the default.
        discriminator: the network, or None for the default.
        image_size: training image size.
        base_filters: generator width (paper 64); the discriminator uses half.
        num_blocks: generator residual blocks (paper 8).
        norm: `"instance"` or `"batch"`.
        content_weight: weight of the content loss (10).
        style_weight: weight of the Gram style loss (0 turns it off).
        init_steps: generator steps of the content-only initialization phase.
        architecture: `"resnet"` (the paper's generator, `cartoon_generator`) or `"unet"` (White-box
            Cartoonization's small U-Net, `unet_generator`: no normalization, fast at any size).
        target_weight: weight of the L1 loss to the batches' `target` (0 = off; then batches need no
            `target`).
        seed: seed for randomness.

    Example:

    >>> vgg = keras_animegan.models.vgg_feature_extractor("vgg19", image_size=256)
    >>> model = keras_animegan.CartoonGAN(vgg, image_size=256, init_steps=10 * steps_per_epoch)
    >>> model.compile()
    >>> model.fit(batches, epochs=100, steps_per_epoch=steps_per_epoch)

    Reference:
        Chen, Lai, Liu. "CartoonGAN: Generative Adversarial Networks for Photo
        Cartoonization", CVPR 2018.
    """

    network_names = ("generator", "discriminator", "feature_extractor")
    batch_inputs = ("images", "images", "images")  # photos, cartoons, edge-smoothed cartoons
    loss_names = ("d_loss", "adv_loss", "content_loss", "style_loss", "target_loss", "g_loss")
    default_learning_rate = 2e-4

    def __init__(
        self,
        feature_extractor=None,
        generator=None,
        discriminator=None,
        image_size=256,
        base_filters=64,
        num_blocks=8,
        norm="instance",
        content_weight=10.0,
        style_weight=1.0,
        init_steps=0,
        architecture="resnet",
        target_weight=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.image_size = image_size
        self.base_filters = base_filters
        self.num_blocks = num_blocks
        self.norm = norm
        self.content_weight = float(content_weight)
        self.style_weight = float(style_weight)
        self.init_steps = int(init_steps)
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}; got {architecture!r}.")
        self.architecture = architecture
        self.target_weight = float(target_weight)
        self.feature_extractor = feature_extractor  # None: inference only (e.g. a preset loaded without one)
        if feature_extractor is not None:
            self.feature_extractor.trainable = False
        if generator is None and architecture == "unet":
            generator = unet_generator(None, base_filters, num_blocks)
        self.generator = generator if generator is not None else cartoon_generator(
            image_size, base_filters, num_blocks, norm)
        self.discriminator = discriminator if discriminator is not None else cartoon_discriminator(
            image_size, max(1, base_filters // 2), norm)
        self.initializing = self.init_steps > 0
        self.build_ema()
        self.built = True

    def step_flops(self, flops):
        """FLOPs of one training step per image (see `DCGAN.step_flops`). D step: VGG on the photo without
        gradients, D on cartoon, smoothed and generated images; G step: G, D and VGG (to its input) on the
        generated image, VGG on the cartoon without gradients. The D step's generator pass is the G step's."""
        g, d, v = flops(self.generator), flops(self.discriminator), flops(self.feature_extractor)
        return (v + 3 * 2 * d) + (3 * g + 2 * d + 2 * v + v)

    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="vanilla", **kwargs):
        """Configures training; default optimizers Adam(2e-4, beta_1=0.5), `gan_mode="vanilla"`.

        The paper's adversarial loss is the standard (vanilla) one, which `train.cartoongan` uses too.
        """
        if self.feature_extractor is None and (self.content_weight or self.style_weight):
            raise ValueError("CartoonGAN needs a feature_extractor to train (its content and style losses), e.g. "
                             "CartoonGAN.from_preset(name, feature_extractor=models.vgg_feature_extractor()).")
        super().compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, gan_mode=gan_mode, **kwargs)
        self.real_term, self.fake_term = get_discriminator_terms(gan_mode)

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        if not any(isinstance(c, CartoonGANPhase) for c in callbacks):
            callbacks.insert(0, CartoonGANPhase())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    @staticmethod
    def unpack(data):
        """`(photo, cartoon, smoothed[, weight])` or a dict with those keys (and `target`) -> five values.

        `weight` and `target` may be None.
        """
        if isinstance(data, dict):
            return data["photo"], data["cartoon"], data["smoothed"], data.get("weight"), data.get("target")
        if len(data) == 3:
            return data[0], data[1], data[2], None, None
        if len(data) == 4:
            return (*data, None)
        raise ValueError(f"CartoonGAN expects batches (photo, cartoon, smoothed[, weight]); got {len(data)} elements.")

    def _content_and_target(self, photo_features, generated, weight, target):
        """(content loss, generated features or None, target loss, their weighted sum) of a generated batch."""
        total = 0.0  # a Python number until a loss is added: the losses' dtype (float64 under a float64 policy) wins
        content = ops.zeros(())
        generated_features = None
        if photo_features is not None:
            generated_features = self.feature_extractor(generated, training=False)
            content = content_loss(photo_features, generated_features, weight)
            total += self.content_weight * content
        if self.target_weight:
            if target is None:
                raise ValueError("CartoonGAN with target_weight > 0 needs batches with a 'target' "
                                 "(e.g. keras_animegan.data.flat_cartoon of each photo).")
            target_loss = weighted_l1(ops.cast(target, generated.dtype), generated)
            total += self.target_weight * target_loss
        else:
            target_loss = ops.zeros(())
        return content, generated_features, target_loss, total

    def initialization_step(self, photo, photo_features, weight, target):
        """The first phase's step: the generator learns to reproduce the photo's content (and target) only."""
        def initialization_loss():
            generated = self.generator(photo, training=True)
            content, _, target_loss, total = self._content_and_target(photo_features, generated, weight, target)
            return self.scale_loss_for_replicas(total, self.g_optimizer), content, target_loss

        (_, content, target_loss), grads = self.differentiate(initialization_loss, self.generator_trainable_variables)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()
        if not self.target_weight:
            return {"content_loss": self.update_loss_trackers(content_loss=content)["content_loss"]}
        logs = self.update_loss_trackers(content_loss=content, target_loss=target_loss)
        return {"content_loss": logs["content_loss"], "target_loss": logs["target_loss"]}

    def gan_step(self, data):
        photo, cartoon, smoothed, weight, target = self.unpack(data)
        photo = ops.cast(photo, self.compute_dtype)
        uses_features = self.content_weight > 0 or (self.style_weight > 0 and not self.initializing)
        photo_features = self.feature_extractor(photo, training=False) if uses_features else None

        if self.initializing:  # a Python switch: CartoonGANPhase retraces at the boundary
            return self.initialization_step(photo, photo_features, weight, target)

        cartoon = ops.cast(cartoon, self.compute_dtype)
        smoothed = ops.cast(smoothed, self.compute_dtype)
        # Discriminator: real cartoons real; generated images and edge-smoothed cartoons fake.
        generated = ops.stop_gradient(self.generator(photo, training=True))

        def discriminator_loss():
            fakes = [self.augment_images(generated, 1), self.augment_images(smoothed, 2)]
            if self.r1_gamma:  # the penalty needs the real images' own call
                penalty, real_logits = self.r1_penalty(self.discriminator, cartoon, salt=0)
                generated_logits, smoothed_logits = self.call_each(self.discriminator, fakes)
            else:
                penalty = 0.0
                real_logits, generated_logits, smoothed_logits = self.call_each(
                    self.discriminator, [self.augment_images(cartoon, 0)] + fakes)
            d_loss = self.real_term(real_logits) + self.fake_term(generated_logits) + self.fake_term(smoothed_logits)
            return self.scale_loss_for_replicas(d_loss + penalty, self.d_optimizer), d_loss

        (_, d_loss), grads = self.differentiate(discriminator_loss, self.discriminator_trainable_variables)
        self.apply_update(self.d_optimizer, grads, self.discriminator_trainable_variables)

        def generator_loss():
            generated = self.generator(photo, training=True)
            adv = self.generator_loss_fn(self.discriminator(self.augment_images(generated, 3), training=True))
            content, generated_features, target_loss, total = self._content_and_target(
                photo_features, generated, weight, target)
            g_loss = adv + total
            if self.style_weight > 0:
                if generated_features is None:
                    generated_features = self.feature_extractor(generated, training=False)
                # The global batch's mean cartoon Gram matrix: the style loss is nonlinear in its target,
                # so each replica's own batch mean would give a different step than one device.
                gram = self.cross_replica_mean(mean_gram_matrix(self.feature_extractor(cartoon, training=False)))
                style = style_loss(None, generated_features, target_gram=ops.stop_gradient(gram))
                g_loss += self.style_weight * style
            else:
                style = ops.zeros(())
            return self.scale_loss_for_replicas(g_loss, self.g_optimizer), g_loss, adv, content, style, target_loss

        (_, g_loss, adv, content, style, target_loss), grads = self.differentiate(
            generator_loss, self.generator_trainable_variables)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()
        return self.update_loss_trackers(d_loss=d_loss, adv_loss=adv, content_loss=content, style_loss=style,
                                         target_loss=target_loss, g_loss=g_loss)

