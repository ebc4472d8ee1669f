"""The package's public names, declared where each is defined.

    @public
    class Photo2Avatar: ...

makes `keras_animegan.Photo2Avatar` that class, and the API reference lists it (docs/hooks.py).
`register_model` declares the model it registers, so a new model is public by its one registration
line. Like keras-hub's `@keras_hub_export`: the name lives on the definition, not in a list kept by
hand in `keras_animegan/__init__.py`. This module imports nothing, so the facade can read it before
TensorFlow starts.
"""

#: Public name -> the module that defines it, in declaration order.
PUBLIC = {}

#: The packages whose import declares the package's own public names (the facade imports them on first use).
DECLARING_PACKAGES = ("keras_animegan.models", "keras_animegan.photo2avatar", "keras_animegan.presets")


def public(obj):
    """Decorator: `keras_animegan.<obj.__name__>` is `obj` (a class or function)."""
    PUBLIC[obj.__name__] = obj.__module__
    return obj


def withdraw(name):
    """Removes a declaration (tests that declare a toy take it out again)."""
    PUBLIC.pop(name, None)
