"""Reading a drawn avatar: does it smile, is its head bald, does it wear glasses, and are they dark?

The tag-conditioned generator draws the mouth from the noise, and some seeds draw a face that does not
show its tags: a bald head for `short_hair` (the training set's shaved style carries the black hair
tag), or a dark smear for `glasses`. So the pipeline draws a few avatars of the same tags from seeds
derived from the photo's, reads each with this network, and keeps the first that shows what was asked
(`Photo2Avatar.draw`).

The reader is a small CNN trained on the training avatars, labelled by what DiceBear drew for each
seed (`benchmarks/standin_data/render.mjs parts`): the open smiles and grins are smiles
(`SMILING_MOUTHS`); thin smiling lines, flat, pouting, shouting, kissing and grimacing mouths are not; the hair style
`short19` is a shaved head; glasses `variant01` are sunglasses, the other four are clear frames.
`benchmarks/avatar_reader.py` trains it and writes its weights into the `photo2avatar_64` preset.

An older preset may hold `smile_reader.npz`, the reader of the mouth alone; it still loads, and reads
the smile only.
"""

import os

import numpy as np

#: DiceBear "adventurer" mouths (variant01..30) that visibly smile: open smiles and grins. The three thin
#: smiling lines (variant02, 20 and 29) are left out: drawn at 64 px by the generator, they look like the
#: flat and crooked mouths, and a reader taught them as smiles passed those as smiling.
SMILING_MOUTHS = ("variant01", "variant05", "variant12", "variant22", "variant24", "variant25", "variant26",
                  "variant27", "variant28", "variant30")
#: The shaved head among the "adventurer" hair styles (drawn without hair).
BALD_HAIR = ("short19",)
#: The "adventurer" glasses with dark lenses (the other variants are clear frames).
DARK_GLASSES = ("variant01",)
#: What the reader reads, one logit each, in output order.
READINGS = ("smile", "bald", "glasses", "dark_glasses")
WEIGHTS_FILE = "avatar_reader.npz"
#: The mouth-only reader of earlier presets.
LEGACY_WEIGHTS_FILE = "smile_reader.npz"


def avatar_reader(size=64):
    """The reader: [-1, 1] avatars (n, size, size, 3) -> one logit per `READINGS` name."""
    import keras
    from keras import layers

    x = inputs = keras.Input((size, size, 3))
    for filters in (16, 32, 48, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)  # where a part is matters: the hair on top, the glasses over the eyes
    x = layers.Dense(64, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(len(READINGS))(x), name="avatar_reader")


def smile_reader(size=64):
    """The mouth-only reader of earlier presets: [-1, 1] avatars -> one logit (smiling)."""
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


def readings_of(network):
    """The names of a reader's outputs: `READINGS`, or `("smile",)` for the mouth-only reader."""
    return READINGS if network.outputs[0].shape[-1] == len(READINGS) else ("smile",)


def read_avatars(network, images):
    """`{name: probability array}` of [-1, 1] float avatars (n, 64, 64, 3) or uint8 ones."""
    from keras import ops

    images = np.asarray(images)
    if images.dtype == np.uint8:
        images = images.astype(np.float32) / 127.5 - 1.0
    logits = ops.convert_to_numpy(network(images.astype(np.float32), training=False))
    probabilities = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    return {name: probabilities[:, k] for k, name in enumerate(readings_of(network))}


def save_weights(network, path):
    """The weights as float16 arrays in order (a preset's file: data, not a program)."""
    from keras_animegan.utils import safe_files

    with safe_files.open_replacing(path) as f:
        np.savez_compressed(f, **{f"{i:04d}": np.asarray(w).astype(np.float16)
                                  for i, w in enumerate(network.get_weights())})


def load_reader(path):
    """The reader stored at `path` (`avatar_reader.npz`, or an older preset's `smile_reader.npz`)."""
    network = smile_reader() if os.path.basename(path) == LEGACY_WEIGHTS_FILE else avatar_reader()
    with np.load(path) as stored:
        weights = [stored[f"{i:04d}"] for i in range(len(stored.files))]
    if len(weights) != len(network.weights) or any(
            tuple(w.shape) != tuple(v.shape) for w, v in zip(weights, network.weights)):
        raise ValueError(f"{path}: the stored avatar reader does not fit the network (another version?).")
    network.set_weights([w.astype(np.float32) for w in weights])
    return network


def find_reader(folder):
    """The reader file in a pipeline preset's folder (`avatar_reader.npz`, else `smile_reader.npz`), or None."""
    for name in (WEIGHTS_FILE, LEGACY_WEIGHTS_FILE):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    return None
