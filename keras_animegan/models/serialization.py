"""How a GAN is saved: its config (sub-networks serialized, as keras-hub's tasks do) and its preset folders."""

import copy
import functools
import inspect

import keras

from keras_animegan import presets


def records_arguments(init):
    """Wraps a constructor so that the arguments it is called with are recorded once, for `get_config`.

    The most derived class's constructor records first; each constructor it calls through `super()` adds
    its own parameters' values (given or default) that are not recorded yet. So a subclass's config holds
    its base classes' settings too, as each hand-written `get_config` used to add them (diffusers'
    `@register_to_config`, applied to every subclass by `ConfigAndPresets.__init_subclass__`).
    """
    signature = inspect.signature(init)
    named = [name for name, parameter in signature.parameters.items()
             if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)][1:]  # not self

    @functools.wraps(init)
    def recording(self, *args, **kwargs):
        recorded = self.__dict__.get("_constructor_arguments")
        if recorded is None:
            recorded = {}
            object.__setattr__(self, "_constructor_arguments", recorded)  # before keras.Model's attribute tracking
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name in named:
            recorded.setdefault(name, bound.arguments[name])
        return init(self, *args, **kwargs)

    recording.records_arguments = True
    recording.__signature__ = signature  # what Keras reads of a constructor (its auto-config argspec)
    return recording


class ConfigAndPresets:
    """Mixin of `GANModel`: `get_config` / `from_config` with the sub-networks of `network_names`, and presets.

    A model's config is its constructor's arguments, recorded when it is built (`records_arguments`):
    no model writes a `get_config`. Sub-networks (`network_names`) are serialized from the model's own
    networks; an argument with a `get_config` of its own (a `TagVocabulary`) is saved as that config;
    `config_attributes` maps the arguments the constructor resolves (a seed drawn when None, an augment
    policy in its canonical spelling) to the attribute whose value is saved, so a saved model keeps what
    it resolved to even if a later release resolves the same argument differently.
    """

    #: Argument -> the attribute that holds what the constructor resolved it to (a subclass adds its own).
    config_attributes = {"seed": "seed", "augment": "augment_policy"}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None and not getattr(init, "records_arguments", False):
            cls.__init__ = records_arguments(init)

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
        for name, value in self.__dict__.get("_constructor_arguments", {}).items():
            if name in self.network_names:
                continue
            if hasattr(value, "get_config") and not isinstance(value, (keras.layers.Layer, keras.Operation)):
                value = value.get_config()
            config[name] = getattr(self, self.config_attributes[name]) if name in self.config_attributes else value
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
