"""How a GAN is saved: its config (sub-networks serialized, as keras-hub's tasks do) and its preset folders."""

import copy

import keras

from keras_animegan import presets


class ConfigAndPresets:
    """Mixin of `GANModel`: `get_config` / `from_config` with the sub-networks of `network_names`, and presets."""

    @classmethod
    def from_preset(cls, preset, **kwargs):
        """A model from a preset: a shipped one by name (`keras_animegan.list_presets()`) or a folder
        written by `save_to_preset`. `kwargs` override its constructor settings (e.g. CartoonGAN's
        `feature_extractor`, needed to train it further). The generators (and their EMA copies) get the
        preset's weights; discriminators start fresh. `GANModel.from_preset` loads any preset.

        >>> model = keras_animegan.DCGAN.from_preset("dcgan_avatars_64")
        """
        return presets.load(cls, preset, **kwargs)

    def save_to_preset(self, path, metadata=None, model_card=None, weights_dtype="float16"):
        """Writes a preset folder (settings, inference generator weights, metadata, model card) that
        `from_preset(path)` loads; see `keras_animegan.presets`."""
        return presets.save(self, path, metadata=metadata, model_card=model_card, weights_dtype=weights_dtype)

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        config.update(ema_decay=self.ema_decay, ema_rampup=self.ema_rampup, augment=self.augment_policy or None, r1_gamma=self.r1_gamma)
        for name in self.network_names:
            config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        # Deep copy: Keras's deserialization consumes the nested dicts it is given.
        config = copy.deepcopy(config)
        for name in cls.network_names:
            if isinstance(config.get(name), dict):
                config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)
