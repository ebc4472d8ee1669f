"""TaggedDCGAN: avatars you ask for by Danbooru-style tags ("blue_hair, glasses"), with the report's DCGAN networks."""

import keras
import numpy as np
from keras import ops

from keras_animegan.models.augment import diff_augment
from keras_animegan.models.augment import draw_rows
from keras_animegan.models.augment import parse_policy
from keras_animegan.models.dcgan import DCGAN
from keras_animegan.models.dcgan_discriminator import dcgan_discriminator
from keras_animegan.models.dcgan_generator import dcgan_generator
from keras_animegan.models.registry import register_model
from keras_animegan.utils.tags import TagVocabulary
from keras_animegan.utils.tags import tag_inputs


def _vocabulary(value):
    if isinstance(value, TagVocabulary):
        return value
    if isinstance(value, dict):
        return TagVocabulary.from_config(value)
    raise ValueError("tag_vocabulary must be a TagVocabulary or its config dict "
                     "(`TagVocabulary.from_rows(read_tags_csv(path).values())`).")


#: The tags of the tiny instance the shared checks run on.
TINY_TAGS = [["blue_hair", "light_skin", "long_hair", "glasses"], ["red_hair", "dark_skin", "short_hair"],
             ["blue_hair", "dark_skin", "short_hair", "earrings"]]


@keras.saving.register_keras_serializable(package="keras_animegan")
@register_model("tagged_dcgan", trainer="keras_animegan.train.tagged_dcgan:TaggedDCGANTrainer",
                description="avatars from tags (blue_hair, glasses) and noise",
                tiny=dict(tag_vocabulary=lambda: TagVocabulary.from_rows(TINY_TAGS).get_config(), latent_dim=8,
                          image_size=32, base_filters=4))
class TaggedDCGAN(DCGAN):
    """A tag-conditioned DCGAN: the generator draws what the tags say, the noise draws the rest.

    The generator takes one vector per image: the noise, with the tags' multi-hot vector appended
    (`latent_dim + len(tag_vocabulary)` values; MakeGirls.moe's generator input). The
    discriminator has a second head that reads the tags off an image (an auxiliary classifier,
    ACGAN): it learns them on the real images, and the generator is trained so that its images
    show the tags it was asked for. Exclusive groups (hair colour, skin, hair length) are one
    softmax each; flags (glasses, earrings, ...) one sigmoid each.

    `model.sample(n, tags=["blue_hair", "glasses"], seed=0)` turns the given flags on and every
    other flag off, and draws each exclusive group not given from the training set's frequencies
    (`sample(n)` with no tags draws the flags too). The noise depends on the seed only, so the same
    seed with one tag changed keeps the rest of the face, as far as the model separates them.

    Args:
        tag_vocabulary: the tags (`keras_animegan.utils.tags.TagVocabulary`, or its config).
        tag_weight: weight of the tag classification losses of both networks (ACGAN: 1).
        tag_augment: DiffAugment policy of the images the tag head learns from, a part of `augment`.
            None (default): `augment` without `color`, since colour jitter changes the hair and skin
            colours the tags name. When it differs from `augment`, the transforms it leaves out
            change a random `1 - tag_share` of each batch only, and the tag losses count the other
            images (one discriminator call for both heads; ADA's point that augmenting a share of
            the images does not leak into the generator, Karras et al. 2020).
        tag_share: the share of each batch the tag head learns from when `tag_augment` differs
            from `augment` (default 0.5).
        twin_classifier: give the discriminator a second tag head that learns the tags of the generated
            images, and train the generator to make its images readable to the first head and hard for the
            twin (TAC-GAN, Gong et al. 2019): it cancels ACGAN's pull toward one easily read face per tag
            set. Default False (plain ACGAN).
        generator: the generator network, or None to build it (see `dcgan_generator`).
        discriminator: the discriminator network, or None to build it (see `dcgan_discriminator`; it has
            `1 + len(tag_vocabulary)` outputs, 2x the tags with a twin).
        **kwargs: as `DCGAN` (`latent_dim`, `image_size`, `base_filters`, `n_extra_layers`,
            `discriminator_norm`, `seed`, `ema_decay`, `augment`, `r1_gamma`).

    Example:

    >>> vocab = TagVocabulary.from_rows(read_tags_csv("avatars/tags.csv").values())
    >>> model = keras_animegan.TaggedDCGAN(tag_vocabulary=vocab, image_size=64, base_filters=32)
    >>> model.compile(g_optimizer=..., d_optimizer=...)
    >>> model.fit(ImageSource("avatars").dataset(64, 32, labels=...))   # (images, tag vectors)
    >>> model.sample(16, tags="blue_hair, glasses", seed=0)

    Reference:
        Odena, Olah, Shlens. "Conditional Image Synthesis with Auxiliary Classifier GANs", ICML 2017.
        Gong et al. "Twin Auxiliary Classifiers GAN" (TAC-GAN), NeurIPS 2019.
        Jin et al. "Towards the Automatic Anime Characters Creation with Generative Adversarial
        Networks" (MakeGirls.moe), arXiv:1708.05509, 2017.
    """

    @property
    def loss_names(self):
        names = ("d_loss", "g_loss", "d_tag_loss", "g_tag_loss")
        return names + ("twin_loss",) if getattr(self, "twin_classifier", False) else names

    input_kind = "tags"
    batch_inputs = ("images", "tags")
    config_attributes = {**DCGAN.config_attributes, "tag_augment": "tag_augment_policy"}

    def __init__(self, tag_vocabulary=None, tag_weight=1.0, tag_augment=None, tag_share=0.5, twin_classifier=False,
                 generator=None, discriminator=None, latent_dim=100,
                 image_size=64, base_filters=64, n_extra_layers=1, discriminator_norm="batch", **kwargs):
        if tag_vocabulary is None:
            raise ValueError("TaggedDCGAN needs tag_vocabulary (the tags of its training set).")
        self.tag_vocabulary = _vocabulary(tag_vocabulary)
        self.tag_weight = float(tag_weight)
        self.twin_classifier = bool(twin_classifier)
        num_tags = len(self.tag_vocabulary)
        if generator is None:
            generator = dcgan_generator(latent_dim + num_tags, image_size, base_filters, n_extra_layers)
        if discriminator is None:
            discriminator = dcgan_discriminator(image_size, base_filters, n_extra_layers, norm=discriminator_norm,
                                                outputs=1 + num_tags * (2 if self.twin_classifier else 1))
        super().__init__(generator=generator, discriminator=discriminator, latent_dim=latent_dim,
                         image_size=image_size, base_filters=base_filters, n_extra_layers=n_extra_layers,
                         discriminator_norm=discriminator_norm, **kwargs)
        if tag_augment is None:
            tag_augment = [name for name in parse_policy(self.augment_policy) if name != "color"]
        self.tag_augment_policy = ",".join(parse_policy(tag_augment))
        if not set(parse_policy(self.tag_augment_policy)) <= set(parse_policy(self.augment_policy)):
            raise ValueError(f"tag_augment {self.tag_augment_policy!r} must be a part of augment "
                             f"{self.augment_policy!r}.")
        if not 0.0 < float(tag_share) <= 1.0:
            raise ValueError(f"tag_share must be in (0, 1]; got {tag_share!r}.")
        self.tag_share = float(tag_share)
        self._group_slices = self.tag_vocabulary.group_slices()
        self._flags = self.tag_vocabulary.flag_indices()

    @property
    def num_tags(self):
        return len(self.tag_vocabulary)

    # ------------------------------------------------------------------ sampling
    def tag_inputs(self, num_images, tags=None, seed=None):
        """The generator inputs `(num_images, latent_dim + num_tags)` for `tags` (see `sample`), from NumPy.

        The noise comes first from `numpy.random.default_rng(seed)` and depends on the seed only; the
        tags not given are drawn after it, so every backend draws the same inputs for a seed.
        """
        return tag_inputs(self.tag_vocabulary, self.latent_dim, num_images, tags, seed)

    def sample(self, num_images, seed=None, tags=None):
        """Generates `num_images` images in [-1, 1] showing `tags`.

        Args:
            num_images: how many images.
            seed: int for reproducible samples (the same on every backend); None draws a fresh one.
            tags: a list of tags (`["blue_hair", "glasses"]`), one comma-separated string, one list per
                image, or None to draw every tag from the training distribution.

        Raises:
            ValueError: an unknown tag (naming the nearest ones), or two tags of one exclusive group.
        """
        if seed is None:
            seed = int(keras.ops.convert_to_numpy(keras.random.randint((), 0, 2**31 - 1,
                                                                        seed=self.seed_generator)))
        return self(self.tag_inputs(num_images, tags, seed), training=False)

    # ------------------------------------------------------------------ training
    def split_batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("TaggedDCGAN trains on (images, tag vectors) batches: "
                             "`ImageSource.dataset(..., labels={file: vector})` makes them.")
        return data[0], data[1]

    def tag_loss(self, logits, targets, weights=None):
        """Classification loss of tag logits against multi-hot targets: a softmax cross-entropy per exclusive
        group (over the images that have a value of it), a sigmoid cross-entropy per flag.

        `weights` (one per image, or None for all ones) says which images count.
        """
        logits = ops.cast(logits, "float32")
        targets = ops.cast(targets, "float32")
        weights = ops.ones_like(targets[:, 0]) if weights is None else ops.cast(weights, "float32")
        total = ops.zeros(())
        for _, start, stop in self._group_slices:
            target = targets[:, start:stop]
            log_probs = ops.log_softmax(logits[:, start:stop], axis=-1)
            has = ops.sum(target, axis=-1) * weights
            total = total + ops.sum(-ops.sum(target * log_probs, axis=-1) * weights) / ops.maximum(ops.sum(has), 1.0)
        if self._flags:
            index = np.asarray(self._flags)
            flag_logits = ops.take(logits, index, axis=1)
            flag_targets = ops.take(targets, index, axis=1)
            bce = ops.binary_crossentropy(flag_targets, flag_logits, from_logits=True)
            total = total + ops.sum(ops.sum(bce, axis=-1) * weights) / ops.maximum(ops.sum(weights), 1.0)
        return total

    def gan_step(self, data):
        real_images, real_tags = self.split_batch(data)
        real_images = ops.cast(real_images, self.compute_dtype)
        real_tags = ops.cast(real_tags, "float32")
        batch_size = ops.shape(real_images)[0]

        def inputs(salt):
            noise = ops.cast(self.replica_noise(batch_size, salt=salt), "float32")
            return ops.concatenate([noise, real_tags], axis=1)

        (d_loss, d_tag_loss, twin_loss), grads = self.tagged_discriminator_gradients(real_images, real_tags, inputs(0))
        self.apply_update(self.d_optimizer, grads, self.discriminator_trainable_variables)
        (g_loss, g_tag_loss), grads = self.tagged_generator_gradients(inputs(1), real_tags)
        self.apply_update(self.g_optimizer, grads, self.generator_trainable_variables)
        self.update_ema()
        return self.update_loss_trackers(d_loss=d_loss, g_loss=g_loss, d_tag_loss=d_tag_loss, g_tag_loss=g_tag_loss,
                                         **({"twin_loss": twin_loss} if self.twin_classifier else {}))

    def tagged_augment(self, images, salt):
        """`(augmented images, tag weights)` for one discriminator call.

        With one policy for both heads: every image through it, and weights None (the tag loss counts
        every image). Otherwise the transforms of `augment` that `tag_augment` leaves out (colour
        jitter) change a random `1 - tag_share` of the images only; the tag loss counts the others.
        One discriminator call serves both heads.
        """
        if self.tag_augment_policy == self.augment_policy:
            return self.augment_images(images, salt), None
        extra = tuple(name for name in parse_policy(self.augment_policy)
                      if name not in parse_policy(self.tag_augment_policy))
        seed = self.step_seed(1000 + salt, per_replica=False)
        replicas = self.num_replicas()
        batch = ops.shape(images)[0]
        offset, total = (0, None) if replicas == 1 else (self.replica_id() * batch, batch * replicas)
        tag_rows = draw_rows(batch, self.tag_share, seed, 7, offset, total)
        augmented = diff_augment(images, self.augment_policy, seed, offset, total, rows=ops.logical_not(tag_rows),
                                 row_transforms=extra)
        return augmented, ops.cast(tag_rows, "float32")

    def tagged_discriminator_gradients(self, real_images, real_tags, generator_inputs):
        def loss_fn():
            fake_images = self.generator(generator_inputs, training=True)
            real_input, tag_weights = self.tagged_augment(real_images, 0)
            if self.r1_gamma:
                r1, real_out = self.r1_penalty(self.discriminator, real_images, salt=0,
                                               augment=lambda images: self.tagged_augment(images, 0)[0])
            else:
                real_out = self.discriminator(real_input, training=True)
            # Fakes through the same augmentation as the reals (the same share colour-jittered): else the
            # discriminator could tell real from fake by the augmentation alone.
            fake_input, fake_weights = self.tagged_augment(fake_images, 1)
            fake_out = self.discriminator(fake_input, training=True)
            d_loss = self.discriminator_loss_fn(real_out[:, :1], fake_out[:, :1])
            tag_loss = self.tag_loss(self.tag_heads(real_out)[0], real_tags, tag_weights)
            total = d_loss + ops.cast(self.tag_weight * tag_loss, d_loss.dtype)
            twin_loss = ops.zeros(())
            if self.twin_classifier:  # the twin head learns the tags the generator was asked for
                twin_loss = self.tag_loss(self.tag_heads(fake_out)[1], real_tags, fake_weights)
                total = total + ops.cast(self.tag_weight * twin_loss, d_loss.dtype)
            if self.r1_gamma:
                total = total + ops.cast(r1, d_loss.dtype)
            return self.scale_loss_for_replicas(total, self.d_optimizer), (d_loss, tag_loss, twin_loss)

        (_, losses), grads = self.differentiate(loss_fn, self.discriminator_trainable_variables)
        return losses, grads

    def tag_heads(self, outputs):
        """`(first head's tag logits, twin head's or None)` of discriminator outputs (the real/fake logit first)."""
        return outputs[:, 1:1 + self.num_tags], (outputs[:, 1 + self.num_tags:] if self.twin_classifier else None)

    def generator_tag_loss(self, outputs, tags, weights=None):
        """`(the tag loss, the generator's tag term)` of discriminator outputs on generated images.

        The tag term is the tag loss of the head that learns from real images; with the twin head
        (TAC-GAN) minus the twin's tag loss, so the generator is not paid for making its images
        easier to read than the real ones.
        """
        first, twin = self.tag_heads(outputs)
        tag_loss = self.tag_loss(first, tags, weights)
        return tag_loss, (tag_loss if twin is None else tag_loss - self.tag_loss(twin, tags, weights))

    def tagged_generator_gradients(self, generator_inputs, tags):
        def loss_fn():
            fake_images = self.generator(generator_inputs, training=True)
            fake_input, tag_weights = self.tagged_augment(fake_images, 2)
            fake_out = self.discriminator(fake_input, training=True)
            g_loss = self.generator_loss_fn(fake_out[:, :1])
            tag_loss, tag_term = self.generator_tag_loss(fake_out, tags, tag_weights)
            total = g_loss + ops.cast(self.tag_weight * tag_term, g_loss.dtype)
            return self.scale_loss_for_replicas(total, self.g_optimizer), (g_loss, tag_loss)

        (_, losses), grads = self.differentiate(loss_fn, self.generator_trainable_variables)
        return losses, grads

    def export_options(self):
        """What the export formats need besides the network: the tag vocabulary (written beside the export)."""
        return {"tag_vocabulary": self.tag_vocabulary.get_config()}

