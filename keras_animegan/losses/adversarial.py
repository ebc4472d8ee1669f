"""Adversarial loss pairs for GAN training.

Every function takes raw discriminator outputs (logits, any shape: one logit
per image or a PatchGAN map) and returns a scalar: the mean over *every* axis,
so a `(batch, h, w, 1)` patch map and a `(batch, 1)` vector are treated alike.
Losses are computed in at least float32 (float16/bfloat16 logits are cast up),
which keeps mixed precision training stable.

Three families, picked by name through `get_adversarial_loss(gan_mode)`:

- `"vanilla"`: the minimax loss of Goodfellow et al. (2014) with the
  non-saturating generator loss, computed from logits (sigmoid cross-entropy).
- `"lsgan"`: least squares GAN (Mao et al., 2017), targets 1 (real) and 0 (fake).
- `"hinge"`: hinge loss (Lim & Ye, 2017; Miyato et al., 2018).

Reference:
    TF-GAN `tensorflow_gan/python/losses/losses_impl.py`;
    junyanz/pytorch-CycleGAN-and-pix2pix `models/networks.py` (`GANLoss`).
"""

import collections

from keras import ops

from keras_animegan.losses.dtypes import loss_dtype

AdversarialLoss = collections.namedtuple(
    "AdversarialLoss", ["generator", "discriminator"]
)


def _sigmoid_cross_entropy(logits, label):
    # Numerically stable BCE from logits: max(x, 0) - x * z + log(1 + exp(-|x|)).
    return (
        ops.relu(logits)
        - logits * label
        + ops.log1p(ops.exp(-ops.abs(logits)))
    )


def minimax_generator_loss(fake_logits):
    """Non-saturating generator loss: `-log(sigmoid(D(G(z))))`, mean over all axes.

    Args:
        fake_logits: discriminator logits on generated images.
    """
    return ops.mean(_sigmoid_cross_entropy(loss_dtype(fake_logits), 1.0))


def minimax_real_term(real_logits):
    """`-log(sigmoid(D(x)))`, mean over all axes: the real half of the minimax discriminator loss."""
    return ops.mean(_sigmoid_cross_entropy(loss_dtype(real_logits), 1.0))


def minimax_fake_term(fake_logits):
    """`-log(1 - sigmoid(D(G(z))))`, mean over all axes: the fake half of the minimax discriminator loss."""
    return ops.mean(_sigmoid_cross_entropy(loss_dtype(fake_logits), 0.0))


def minimax_discriminator_loss(real_logits, fake_logits):
    """`-log(sigmoid(D(x))) - log(1 - sigmoid(D(G(z))))`, each term a mean over all axes.

    Args:
        real_logits: discriminator logits on real images.
        fake_logits: discriminator logits on generated images.
    """
    return minimax_real_term(real_logits) + minimax_fake_term(fake_logits)


def least_squares_generator_loss(fake_logits):
    """LSGAN generator loss `0.5 * mean((D(G(z)) - 1)^2)`.

    The 0.5 factor follows TF-GAN and the LSGAN paper.

    Args:
        fake_logits: discriminator outputs on generated images.
    """
    return 0.5 * ops.mean(ops.square(loss_dtype(fake_logits) - 1.0))


def least_squares_real_term(real_logits):
    """`0.5 * mean((D(x) - 1)^2)`: the real half of the LSGAN discriminator loss."""
    return 0.5 * ops.mean(ops.square(loss_dtype(real_logits) - 1.0))


def least_squares_fake_term(fake_logits):
    """`0.5 * mean(D(G(z))^2)`: the fake half of the LSGAN discriminator loss."""
    return 0.5 * ops.mean(ops.square(loss_dtype(fake_logits)))


def least_squares_discriminator_loss(real_logits, fake_logits):
    """LSGAN discriminator loss `0.5 * mean((D(x) - 1)^2) + 0.5 * mean(D(G(z))^2)`.

    Args:
        real_logits: discriminator outputs on real images.
        fake_logits: discriminator outputs on generated images.
    """
    return least_squares_real_term(real_logits) + least_squares_fake_term(fake_logits)


def hinge_generator_loss(fake_logits):
    """Hinge generator loss `-mean(D(G(z)))`.

    Args:
        fake_logits: discriminator outputs on generated images.
    """
    return -ops.mean(loss_dtype(fake_logits))


def hinge_real_term(real_logits):
    """`mean(relu(1 - D(x)))`: the real half of the hinge discriminator loss."""
    return ops.mean(ops.relu(1.0 - loss_dtype(real_logits)))


def hinge_fake_term(fake_logits):
    """`mean(relu(1 + D(G(z))))`: the fake half of the hinge discriminator loss."""
    return ops.mean(ops.relu(1.0 + loss_dtype(fake_logits)))


def hinge_discriminator_loss(real_logits, fake_logits):
    """Hinge discriminator loss `mean(relu(1 - D(x))) + mean(relu(1 + D(G(z))))`.

    Args:
        real_logits: discriminator outputs on real images.
        fake_logits: discriminator outputs on generated images.
    """
    return hinge_real_term(real_logits) + hinge_fake_term(fake_logits)


# The two terms of each discriminator loss, for losses with more than one kind of fake
# (CartoonGAN's edge-promoting loss: generated images and edge-smoothed cartoons).
_DISCRIMINATOR_TERMS = {
    "vanilla": (minimax_real_term, minimax_fake_term),
    "lsgan": (least_squares_real_term, least_squares_fake_term),
    "hinge": (hinge_real_term, hinge_fake_term),
}

_REGISTRY = {
    "vanilla": AdversarialLoss(minimax_generator_loss, minimax_discriminator_loss),
    "lsgan": AdversarialLoss(
        least_squares_generator_loss, least_squares_discriminator_loss
    ),
    "hinge": AdversarialLoss(hinge_generator_loss, hinge_discriminator_loss),
}
# Common aliases users type.
_ALIASES = {"minimax": "vanilla", "least_squares": "lsgan", "ls": "lsgan"}

GAN_MODES = tuple(_REGISTRY)


def get_adversarial_loss(gan_mode):
    """Returns the `(generator, discriminator)` loss pair for `gan_mode`.

    Args:
        gan_mode: one of `"vanilla"` (alias `"minimax"`), `"lsgan"`
            (alias `"least_squares"`), `"hinge"`.

    Example:

    >>> g_loss, d_loss = get_adversarial_loss("lsgan")
    """
    key = _ALIASES.get(str(gan_mode).lower(), str(gan_mode).lower())
    if key not in _REGISTRY:
        raise ValueError(
            f"Unknown gan_mode={gan_mode!r}; expected one of {sorted(_REGISTRY)} "
            f"(aliases: {sorted(_ALIASES)})."
        )
    return _REGISTRY[key]


def get_discriminator_terms(gan_mode):
    """Returns `(real_term, fake_term)`: the discriminator loss of `gan_mode` is their sum.

    Use it when a discriminator sees several kinds of fakes, each its own term
    (CartoonGAN: `real_term(D(cartoon)) + fake_term(D(G(photo))) + fake_term(D(smoothed))`).
    """
    get_adversarial_loss(gan_mode)  # validates the name
    key = _ALIASES.get(str(gan_mode).lower(), str(gan_mode).lower())
    return _DISCRIMINATOR_TERMS[key]
