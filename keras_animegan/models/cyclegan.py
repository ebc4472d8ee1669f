"""CycleGAN: unpaired photo <-> anime translation (Zhu et al., 2017), after junyanz/pytorch-CycleGAN-and-pix2pix."""

import keras
from keras import ops

from keras_animegan.losses import weighted_l1
from keras_animegan.models.gan_model import GANModel
from keras_animegan.models.registry import register_model
from keras_animegan.models.resnet_generator import resnet_generator
from keras_animegan.models.patch_discriminator import patch_discriminator
from keras_animegan.models.image_pool import ImagePool


@keras.saving.register_keras_serializable(package="keras_animegan")
@register_model("cyclegan", trainer="keras_animegan.train.cyclegan:CycleGANTrainer",
                description="unpaired image-to-image (A <-> B)",
                tiny=dict(image_size=32, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=2))
class CycleGAN(GANModel):
    """CycleGAN for unpaired translation between domain A (photos) and domain B (anime).

    `model(images)` (and the exported `serving_default`) translates A -> B;
    `model.translate(images, direction="ba")` goes the other way. Images are
    floats in [-1, 1]. `fit()` takes batches `(a, b)` or `(a, b, weight_a)`,
    where `weight_a` `(batch, h, w, 1)` weights the A -> B -> A cycle loss per
    pixel (the face-landmark loss feeds it; uniform when absent).

    Tracked losses (progress bar order): `d_a_loss`, `d_b_loss` (discriminators),
    `adv_ab`, `adv_ba` (generator adversarial terms: G_ab fooling D_b, G_ba
    fooling D_a), `cycle_a` (|G_ba(G_ab(a)) - a|), `cycle_b`, `identity_a`
    (|G_ba(a) - a|), `identity_b` (|G_ab(b) - b|), `g_loss` (the generators'
    total). The identity terms are only computed when `lambda_identity > 0`.

    Args:
        generator_ab: the A -> B network, or None for `resnet_generator()`.
        generator_ba: the B -> A network, or None for `resnet_generator()`.
        discriminator_a: judges domain A, or None for `patch_discriminator()`.
        discriminator_b: judges domain B, or None for `patch_discriminator()`.
        image_size: training image size.
        base_filters: `ngf` (and `ndf`) of the default networks.
        num_blocks: residual blocks of the default generators (9 at 256 px, 6 at 128 px).
        num_disc_layers: PatchGAN stride-2 layers (3 = 70x70).
        lambda_cycle: weight of each cycle loss (10).
        lambda_identity: identity weight relative to `lambda_cycle` (0.5; 0 turns it off).
        pool_size: history pool of generated images for each discriminator (50).
        seed: seed for pool decisions.
        **kwargs: passed to `GANModel` (`ema_decay` keeps EMA copies of both
            generators; `augment` applies DiffAugment to both discriminators'
            inputs; `r1_gamma` penalizes both on real images) and `keras.Model`.

    Example:

    >>> model = keras_animegan.CycleGAN(image_size=128, num_blocks=6)
    >>> model.compile()      # Adam(2e-4, beta_1=0.5), lsgan
    >>> a = keras_animegan.data.image_dataset("photos/", 128, 1)
    >>> b = keras_animegan.data.image_dataset("anime.zip", 128, 1)
    >>> model.fit(tf.data.Dataset.zip((a, b)), epochs=200, steps_per_epoch=1000)
    >>> anime = model(photos)            # A -> B

    Reference:
        Zhu, Park, Isola, Efros. "Unpaired Image-to-Image Translation using
        Cycle-Consistent Adversarial Networks", ICCV 2017.
    """

    network_names = ("generator_ab", "generator_ba", "discriminator_a", "discriminator_b")
    batch_inputs = ("images", "images")  # domain A, domain B
    loss_names = (
        "d_a_loss", "d_b_loss", "adv_ab", "adv_ba", "cycle_a", "cycle_b", "identity_a", "identity_b", "g_loss",
    )
    default_learning_rate = 2e-4
    ema_network_names = ("generator_ab", "generator_ba")
    directions = ("ab", "ba")

    def __init__(
        self,
        generator_ab=None,
        generator_ba=None,
        discriminator_a=None,
        discriminator_b=None,
        image_size=256,
        base_filters=64,
        num_blocks=9,
        num_disc_layers=3,
        lambda_cycle=10.0,
        lambda_identity=0.5,
        pool_size=50,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        self.image_size = image_size
        self.base_filters = base_filters
        self.num_blocks = num_blocks
        self.num_disc_layers = num_disc_layers
        self.lambda_cycle = float(lambda_cycle)
        self.lambda_identity = float(lambda_identity)
        self.pool_size = pool_size

        def generator(name):
            return resnet_generator(image_size, base_filters, num_blocks, name=name)

        def discriminator(name):
            return patch_discriminator(image_size, base_filters, num_disc_layers, name=name)

        self.generator_ab = generator_ab if generator_ab is not None else generator("generator_ab")
        self.generator_ba = generator_ba if generator_ba is not None else generator("generator_ba")
        self.discriminator_a = discriminator_a if discriminator_a is not None else discriminator("discriminator_a")
        self.discriminator_b = discriminator_b if discriminator_b is not None else discriminator("discriminator_b")
        shape = (image_size, image_size, 3)
        self.pool_a = ImagePool(pool_size, shape, name="pool_a")  # past G_ba(b), shown to D_a
        self.pool_b = ImagePool(pool_size, shape, name="pool_b")  # past G_ab(a), shown to D_b
        self.build_ema()
        self.built = True

    @property
    def generator(self):
        """The A -> B generator (what `call()` and the default export use)."""
        return self.generator_ab

    @property
    def generator_trainable_variables(self):
        return self.generator_ab.trainable_variables + self.generator_ba.trainable_variables

    @property
    def discriminator_trainable_variables(self):
        return self.discriminator_a.trainable_variables + self.discriminator_b.trainable_variables

    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="lsgan", **kwargs):
        """Configures training; default optimizers Adam(2e-4, beta_1=0.5), `gan_mode="lsgan"`."""
        super().compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, gan_mode=gan_mode, **kwargs)

    def translate(self, images, direction="ab"):
        """Translates [-1, 1] images: `direction="ab"` (A -> B, photo -> anime) or `"ba"`.

        Uses the EMA generators when the model keeps them.
        """
        return self.inference_generator(direction)(images, training=False)

    def step_flops(self, flops):
        """FLOPs of one training step per image (see `DCGAN.step_flops`). G step: 6 generator passes (2
        translations, 2 reconstructions, 2 identities) and 2 D passes to their inputs; D step: 4 D passes (real
        and pooled fake, both domains) to their weights."""
        g, d = flops(self.generator_ab), flops(self.discriminator_a)
        return 6 * 3 * g + 2 * 2 * d + 4 * 2 * d

    def inference_generator(self, direction=None):
        """The A -> B (`"ab"`, the default) or B -> A (`"ba"`) generator; the EMA copy when kept."""
        super().inference_generator(direction)  # checks the direction
        return self.inference_network(f"generator_{direction or 'ab'}")

    def inference_network(self, name="generator_ab"):
        return super().inference_network("generator_ab" if name == "generator" else name)

    @staticmethod
    def unpack(data):
        """`(a, b)`, `(a, b, weight_a)` or a dict with keys a, b[, weight_a] -> (a, b, weight_a or None)."""
        if isinstance(data, dict):
            return data["a"], data["b"], data.get("weight_a")
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
        raise ValueError(f"CycleGAN expects batches (a, b) or (a, b, weight_a); got {len(data)} elements.")

    def generator_losses(self, real_a, real_b, weight_a=None, training=True):
        """All generator-side terms for one batch; returns (total, dict of terms, fake_a, fake_b)."""
        identity = self.lambda_identity > 0
        fake_b, *same_b = self.call_each(self.generator_ab, [real_a, real_b][:1 + identity], training)
        fake_a, *same_a = self.call_each(self.generator_ba, [real_b, real_a][:1 + identity], training)
        rec_a = self.generator_ba(fake_b, training=training)
        rec_b = self.generator_ab(fake_a, training=training)
        terms = {
            "adv_ab": self.generator_loss_fn(self.discriminator_b(self.augment_images(fake_b, 0), training=training)),
            "adv_ba": self.generator_loss_fn(self.discriminator_a(self.augment_images(fake_a, 1), training=training)),
            "cycle_a": weighted_l1(rec_a, real_a, weight_a),
            "cycle_b": weighted_l1(rec_b, real_b),
        }
        total = terms["adv_ab"] + terms["adv_ba"] + self.lambda_cycle * (terms["cycle_a"] + terms["cycle_b"])
        if identity:
            terms["identity_a"] = weighted_l1(same_a[0], real_a)
            terms["identity_b"] = weighted_l1(same_b[0], real_b)
            total += self.lambda_cycle * self.lambda_identity * (terms["identity_a"] + terms["identity_b"])
        return total, terms, fake_a, fake_b

    def gan_step(self, data):
        real_a, real_b, weight_a = self.unpack(data)
        real_a = ops.cast(real_a, self.compute_dtype)
        real_b = ops.cast(real_b, self.compute_dtype)

        # Generators first (junyanz order), with the discriminators fixed.
        def generator_loss():
            g_loss, terms, fake_a, fake_b = self.generator_losses(real_a, real_b, weight_a)
            return self.scale_loss_for_replicas(g_loss, self.g_optimizer), g_loss, terms, fake_a, fake_b

        (_, g_loss, terms, fake_a, fake_b), grads = self.differentiate(generator_loss,
                                                                        self.generator_trainable_variables)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()

        # Discriminators on real images and on fakes drawn from the history pools (both through
        # the augmentation policy, if any).
        pooled_a = self.pool_a(ops.stop_gradient(fake_a), seed=self.step_seed(salt=10, per_replica=False))
        pooled_b = self.pool_b(ops.stop_gradient(fake_b), seed=self.step_seed(salt=11, per_replica=False))

        def discriminator_loss():
            fakes_a, fakes_b = self.augment_images(pooled_a, 4), self.augment_images(pooled_b, 5)
            penalty = 0.0
            if self.r1_gamma:  # the penalty needs the real images' own call
                r1_a, real_logits_a = self.r1_penalty(self.discriminator_a, real_a, salt=2)
                r1_b, real_logits_b = self.r1_penalty(self.discriminator_b, real_b, salt=3)
                fake_logits_a = self.discriminator_a(fakes_a, training=True)
                fake_logits_b = self.discriminator_b(fakes_b, training=True)
                penalty = r1_a + r1_b
            else:
                real_logits_a, fake_logits_a = self.call_each(
                    self.discriminator_a, [self.augment_images(real_a, 2), fakes_a])
                real_logits_b, fake_logits_b = self.call_each(
                    self.discriminator_b, [self.augment_images(real_b, 3), fakes_b])
            d_a_loss = self.discriminator_loss_fn(real_logits_a, fake_logits_a)
            d_b_loss = self.discriminator_loss_fn(real_logits_b, fake_logits_b)
            return self.scale_loss_for_replicas(d_a_loss + d_b_loss + penalty, self.d_optimizer), d_a_loss, d_b_loss

        (_, d_a_loss, d_b_loss), grads = self.differentiate(discriminator_loss, self.discriminator_trainable_variables)
        self.apply_update(self.d_optimizer, grads, self.discriminator_trainable_variables)

        return self.update_loss_trackers(d_a_loss=d_a_loss, d_b_loss=d_b_loss, g_loss=g_loss, **terms)

