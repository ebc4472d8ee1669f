"""The avatars' expression: a small network that reads whether a 64 px avatar smiles.

The generator has no expression tag: the mouth comes from the noise. So the pipeline draws a few
avatars of the same tags from seeds derived from the photo's, and keeps the first whose mouth this
reader sees as the photo's (smiling or not). It is trained on the training avatars, labelled by
the mouth DiceBear drew for each seed (`benchmarks/standin_data/render.mjs mouths`): the open
smiles, grins and smiling lines are smiles (`SMILING_MOUTHS`); flat, pouting, shouting, kissing
and grimacing mouths are not. `benchmarks/avatar_smile_reader.py` trains it and writes its
weights into the `photo2avatar_64` preset.
"""

import numpy as np

#: DiceBear "adventurer" mouths (variant01..30) that smile.
SMILING_MOUTHS = ("variant01", "variant02", "variant05", "variant12", "variant20", "variant22", "variant24",
                  "variant25", "variant26", "variant27", "variant28", "variant29", "variant30")
WEIGHTS_FILE = "smile_reader.npz"


def smile_reader(size=64):
    """The reader: [-1, 1] avatars (n, size, size, 3) -> one logit each (smiling)."""
    import keras
    from keras import layers

    x = inputs = keras.Input((size, size, 3))
    x = layers.Cropping2D(((size // 2, size // 16), (size // 4, size // 4)))(x)  # the lower middle: the mouth
    for filters in (16, 32, 48):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(1)(x), name="smile_reader")


def save_weights(network, path):
    """The weights as float16 arrays in order (a preset's file: data, not a program)."""
    from keras_animegan.utils import safe_files

    with safe_files.open_replacing(path) as f:
        np.savez_compressed(f, **{f"{i:04d}": np.asarray(w).astype(np.float16)
                                  for i, w in enumerate(network.get_weights())})


def load_reader(path):
    network = smile_reader()
    with np.load(path) as stored:
        weights = [stored[f"{i:04d}"] for i in range(len(stored.files))]
    if len(weights) != len(network.weights) or any(
            tuple(w.shape) != tuple(v.shape) for w, v in zip(weights, network.weights)):
        raise ValueError(f"{path}: the stored smile reader does not fit the network (another version?).")
    network.set_weights([w.astype(np.float32) for w in weights])
    return network
