"""The EMA copies of a GAN's generators (`ema_decay`): built, blended after each step, used for inference."""

import keras
import numpy as np
from keras import ops

from keras_animegan import backend as gan_backend


class EMAGenerators:
    """Mixin of `GANModel`: `ema_<name>` for each of `ema_network_names` when `ema_decay` is set.

    As in StyleGAN2-ADA, the averaging horizon grows with training: the EMA's half-life is
    `min(h, ema_rampup * t)` steps at step t, where `h` is the half-life of `ema_decay`.
    """

    def build_ema(self):
        """Creates `ema_<name>` copies of the generator networks (subclasses call it after building them)."""
        if not self.ema_decay:
            return
        for name in self.ema_network_names:
            network = getattr(self, name)
            ema = keras.models.clone_model(network)
            ema.set_weights(network.get_weights())
            ema.trainable = False
            setattr(self, f"ema_{name}", ema)

    def inference_network(self, name="generator"):
        """The network to sample or translate with: the EMA copy of `name` when the model keeps one."""
        if self.ema_decay and name in self.ema_network_names:
            return getattr(self, f"ema_{name}")
        return getattr(self, name)

    def ema_pairs(self):
        """(EMA variable, raw variable) pairs: every weight, batch-norm statistics included."""
        pairs = []
        for name in self.ema_network_names if self.ema_decay else ():
            pairs += list(zip(getattr(self, f"ema_{name}").weights, getattr(self, name).weights))
        return pairs

    def ema_decay_at(self, step):
        """The decay applied after `step` generator updates (see the class docstring)."""
        if self.ema_rampup is None:
            return ops.convert_to_tensor(self.ema_decay, "float32")
        max_half_life = np.log(0.5) / np.log(self.ema_decay)
        half_life = ops.minimum(ops.convert_to_tensor(max_half_life, "float32"),
                                self.ema_rampup * ops.maximum(ops.cast(step, "float32"), 1.0))
        return ops.power(0.5, 1.0 / half_life)

    def update_ema(self):
        """Moves the EMA networks toward the raw ones; call after the generator update of a step."""
        if not self.ema_decay:
            return
        decay = self.ema_decay_at(self.g_optimizer.iterations)
        pairs = self.ema_pairs()

        def blend(ema, value):
            d = ops.cast(decay, ema.dtype)
            return d * ema + (1.0 - d) * ops.cast(value, ema.dtype)

        gan_backend.update_ema(pairs, blend)

