"""CartoonGAN: photo -> cartoon with content, Gram style and edge-promoting adversarial losses."""

import keras
import tensorflow as tf
from keras import layers

from keras_animegan.layers import output_dtype
from keras_animegan.layers import SyncBatchNormalization
from keras_animegan.layers import instance_norm
from keras_animegan.losses import content_loss
from keras_animegan.losses import get_discriminator_terms
from keras_animegan.losses import mean_gram_matrix
from keras_animegan.losses import style_loss
from keras_animegan.models.gan_model import GANModel


def _init():
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def _norm(kind, name):
    if kind == "instance":
        return instance_norm(name, affine=True)
    if kind == "batch":
        return SyncBatchNormalization(name=name)
    raise ValueError(f"norm must be 'instance' or 'batch'; got {kind!r}.")


def cartoon_generator(image_size=256, base_filters=64, num_blocks=8, norm="instance", name="generator"):
    """The CartoonGAN generator (Chen et al., 2018, Fig. 2), as a functional `keras.Model`.

    Flat 7x7 conv (base_filters) -> two down-conv blocks [3x3 stride-2 conv, 3x3 conv, norm, ReLU]
    (x2, x4 channels) -> `num_blocks` residual blocks -> two up-conv blocks [3x3 stride-2 transposed
    conv, 3x3 conv, norm, ReLU] -> 7x7 conv to RGB -> tanh.

    Args:
        image_size: input size (a multiple of 4), or None for any.
        base_filters: channels of the flat conv (paper: 64).
        num_blocks: residual blocks (paper: 8).
        norm: `"instance"` (default, batch-size independent) or `"batch"` (the paper's).
        name: model name.
    """
    if image_size is not None and image_size % 4:
        raise ValueError(f"image_size must be a multiple of 4; got {image_size}.")
    init = _init()
    photos = keras.Input((image_size, image_size, 3), name="photos")
    x = layers.Conv2D(base_filters, 7, padding="same", kernel_initializer=init, name="flat_conv")(photos)
    x = _norm(norm, "flat_norm")(x)
    x = layers.ReLU()(x)
    filters = base_filters
    for i in range(2):
        filters *= 2
        x = layers.Conv2D(filters, 3, strides=2, padding="same", kernel_initializer=init, name=f"down{i}_conv1")(x)
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"down{i}_conv2")(x)
        x = _norm(norm, f"down{i}_norm")(x)
        x = layers.ReLU()(x)
    for i in range(num_blocks):
        y = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv1")(x)
        y = _norm(norm, f"block{i}_norm1")(y)
        y = layers.ReLU()(y)
        y = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv2")(y)
        y = _norm(norm, f"block{i}_norm2")(y)
        x = layers.Add(name=f"block{i}_add")([x, y])
    for i in range(2):
        filters //= 2
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", kernel_initializer=init, name=f"up{i}_conv1")(x)
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"up{i}_conv2")(x)
        x = _norm(norm, f"up{i}_norm")(x)
        x = layers.ReLU()(x)
    x = layers.Conv2D(3, 7, padding="same", kernel_initializer=init, name="to_rgb")(x)
    return keras.Model(photos, layers.Activation("tanh", dtype=output_dtype(), name="tanh")(x), name=name)


def cartoon_discriminator(image_size=256, base_filters=32, norm="instance", name="discriminator"):
    """The CartoonGAN patch discriminator.

    Flat 3x3 conv (base_filters) + LeakyReLU(0.2) -> two blocks [3x3 stride-2 conv (x2), LeakyReLU,
    3x3 conv (x4, then x8), norm, LeakyReLU] -> 3x3 conv (x8), norm, LeakyReLU -> 3x3 conv to a
    one-channel map of logits at 1/4 of the input size.

    Args:
        image_size: input size, or None for any.
        base_filters: channels of the flat conv (paper: 32).
        norm: `"instance"` or `"batch"`.
        name: model name.
    """
    init = _init()
    images = keras.Input((image_size, image_size, 3), name="images")
    x = layers.Conv2D(base_filters, 3, padding="same", kernel_initializer=init, name="flat_conv")(images)
    x = layers.LeakyReLU(0.2)(x)
    filters = base_filters
    for i in range(2):
        x = layers.Conv2D(filters * 2, 3, strides=2, padding="same", kernel_initializer=init, name=f"block{i}_conv1")(x)
        x = layers.LeakyReLU(0.2)(x)
        filters *= 4 if i == 0 else 2
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name=f"block{i}_conv2")(x)
        x = _norm(norm, f"block{i}_norm")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=init, name="feature_conv")(x)
    x = _norm(norm, "feature_norm")(x)
    x = layers.LeakyReLU(0.2)(x)
    logits = layers.Conv2D(1, 3, padding="same", kernel_initializer=init, dtype=output_dtype(), name="logits")(x)
    return keras.Model(images, logits, name=name)


@keras.saving.register_keras_serializable(package="keras_animegan")
class CartoonGAN(GANModel):
    """CartoonGAN (Chen, Lai, Liu, CVPR 2018) with the report's Gram style loss.

    `model(photos)` maps [-1, 1] photos to cartoons. `fit()` takes batches
    `(photo, cartoon, smoothed)` or `(photo, cartoon, smoothed, weight)`, where
    `smoothed` is the cartoon with its edges blurred (`keras_animegan.data.edge_smooth`)
    and `weight` `(batch, h, w, 1)` weights the content loss per photo pixel
    (the landmark loss hook; uniform when absent).

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
            block4_conv4, CartoonGAN's). Required: it is passed in, never fetched here.
        generator, discriminator: networks, or None for the defaults.
        image_size: training image size.
        base_filters: generator width (paper 64); the discriminator uses half.
        num_blocks: generator residual blocks (paper 8).
        norm: `"instance"` or `"batch"`.
        content_weight: weight of the content loss (10).
        style_weight: weight of the Gram style loss (0 turns it off).
        init_steps: generator steps of the content-only initialization phase.
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
    loss_names = ("d_loss", "adv_loss", "content_loss", "style_loss", "g_loss")
    default_learning_rate = 2e-4

    def __init__(
        self,
        feature_extractor,
        generator=None,
        discriminator=None,
        image_size=256,
        base_filters=64,
        num_blocks=8,
        norm="instance",
        content_weight=10.0,
        style_weight=1.0,
        init_steps=0,
        seed=None,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        if feature_extractor is None:
            raise ValueError("CartoonGAN needs a feature_extractor (e.g. models.vgg_feature_extractor()).")
        self.image_size = image_size
        self.base_filters = base_filters
        self.num_blocks = num_blocks
        self.norm = norm
        self.content_weight = float(content_weight)
        self.style_weight = float(style_weight)
        self.init_steps = int(init_steps)
        self.feature_extractor = feature_extractor
        self.feature_extractor.trainable = False
        self.generator = generator if generator is not None else cartoon_generator(
            image_size, base_filters, num_blocks, norm)
        self.discriminator = discriminator if discriminator is not None else cartoon_discriminator(
            image_size, max(1, base_filters // 2), norm)
        self.initializing = self.init_steps > 0
        self.build_ema()
        self.built = True

    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="lsgan", **kwargs):
        """Configures training; default optimizers Adam(2e-4, beta_1=0.5), `gan_mode="lsgan"`."""
        super().compile(g_optimizer=g_optimizer, d_optimizer=d_optimizer, gan_mode=gan_mode, **kwargs)
        self.real_term, self.fake_term = get_discriminator_terms(gan_mode)

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        if not any(isinstance(c, CartoonGANPhase) for c in callbacks):
            callbacks.insert(0, CartoonGANPhase())
        return super().fit(*args, callbacks=callbacks, **kwargs)

    @staticmethod
    def unpack(data):
        """`(photo, cartoon, smoothed[, weight])` or a dict with those keys -> four values (weight may be None)."""
        if isinstance(data, dict):
            return data["photo"], data["cartoon"], data["smoothed"], data.get("weight")
        if len(data) == 3:
            return data[0], data[1], data[2], None
        if len(data) == 4:
            return data
        raise ValueError(f"CartoonGAN expects batches (photo, cartoon, smoothed[, weight]); got {len(data)} elements.")

    def train_step(self, data):
        photo, cartoon, smoothed, weight = self.unpack(data)
        photo = tf.cast(photo, self.compute_dtype)
        photo_features = self.feature_extractor(photo, training=False)

        if self.initializing:  # a Python switch: CartoonGANPhase retraces at the boundary
            with tf.GradientTape() as tape:
                generated = self.generator(photo, training=True)
                content = content_loss(photo_features, self.feature_extractor(generated, training=False), weight)
                scaled = self.scale_loss_for_replicas(self.content_weight * content, self.g_optimizer)
            variables = self.generator_trainable_variables
            self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
            self.update_ema()
            return {"content_loss": self.update_loss_trackers(content_loss=content)["content_loss"]}

        cartoon = tf.cast(cartoon, self.compute_dtype)
        smoothed = tf.cast(smoothed, self.compute_dtype)
        # Discriminator: real cartoons real; generated images and edge-smoothed cartoons fake.
        generated = self.generator(photo, training=True)
        with tf.GradientTape() as tape:
            if self.r1_gamma:
                penalty, real_logits = self.r1_penalty(self.discriminator, cartoon, salt=0)
            else:
                penalty, real_logits = 0.0, self.discriminator(self.augment_images(cartoon, 0), training=True)
            d_loss = (
                self.real_term(real_logits)
                + self.fake_term(self.discriminator(self.augment_images(tf.stop_gradient(generated), 1), training=True))
                + self.fake_term(self.discriminator(self.augment_images(smoothed, 2), training=True))
            )
            scaled = self.scale_loss_for_replicas(d_loss + penalty, self.d_optimizer)
        variables = self.discriminator_trainable_variables
        self.d_optimizer.apply(tape.gradient(scaled, variables), variables)

        with tf.GradientTape() as tape:
            generated = self.generator(photo, training=True)
            adv = self.generator_loss_fn(self.discriminator(self.augment_images(generated, 3), training=True))
            generated_features = self.feature_extractor(generated, training=False)
            content = content_loss(photo_features, generated_features, weight)
            g_loss = adv + self.content_weight * content
            if self.style_weight > 0:
                # The global batch's mean cartoon Gram matrix: the style loss is nonlinear in its target,
                # so each replica's own batch mean would give a different step than one device.
                target = self.cross_replica_mean(mean_gram_matrix(self.feature_extractor(cartoon, training=False)))
                style = style_loss(None, generated_features, target_gram=tf.stop_gradient(target))
                g_loss += self.style_weight * style
            else:
                style = tf.zeros(())
            scaled = self.scale_loss_for_replicas(g_loss, self.g_optimizer)
        variables = self.generator_trainable_variables
        self.g_optimizer.apply(tape.gradient(scaled, variables), variables)
        self.update_ema()
        return self.update_loss_trackers(d_loss=d_loss, adv_loss=adv, content_loss=content, style_loss=style, g_loss=g_loss)

    def get_config(self):
        config = super().get_config()
        config.update(
            image_size=self.image_size,
            base_filters=self.base_filters,
            num_blocks=self.num_blocks,
            norm=self.norm,
            content_weight=self.content_weight,
            style_weight=self.style_weight,
            init_steps=self.init_steps,
        )
        return config


class CartoonGANPhase(keras.callbacks.Callback):
    """Keeps `CartoonGAN.initializing` in step with the step count and retraces the train step when it flips."""

    def _sync(self):
        model = self.model
        initializing = model.train_steps < model.init_steps
        if initializing != model.initializing:
            model.initializing = initializing
            model.make_train_function(force=True)

    def on_train_begin(self, logs=None):
        self._sync()

    def on_train_batch_begin(self, batch, logs=None):
        if self.model.initializing:  # only the init phase can end
            self._sync()
