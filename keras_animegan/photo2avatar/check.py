"""The avatar check: draw candidate avatars, read each with the avatar reader, keep the first that shows what
was wanted (`Photo2Avatar.choose`)."""

import dataclasses
import zlib

import numpy as np

from keras_animegan.photo2avatar import expression

#: The weights the glasses tag is drawn with, in the order tried: at full weight the tagged generator draws
#: dark lenses on nearly every short-haired avatar, at 0.7 mostly clear frames (measured with the avatar reader).
GLASSES_WEIGHTS = (1.0, 0.7)


@dataclasses.dataclass
class Choice:
    """Which candidate `Photo2Avatar.choose` drew.

    Attributes:
        seed: the seed of the avatar drawn.
        index: its place among the candidate seeds (0: the seed asked for).
        tried: how many candidates were drawn.
        passed: whether it shows all that was wanted (False: none did; the closest was taken).
        readings: the avatar reader's probabilities for it (`expression.READINGS`).
        glasses_weight: the weight its glasses tag was drawn with (1.0, or `GLASSES_WEIGHTS[1]`).
    """

    seed: int
    index: int
    tried: int
    passed: bool
    readings: dict
    glasses_weight: float = 1.0


def candidate_seeds(seed, count):
    """`seed` first, then `count - 1` seeds made from it (CRC-32s): the same list for the same seed."""
    return [int(seed)] + [int(zlib.crc32(f"{int(seed)}:{k}".encode()) & 0x7FFFFFFF) for k in range(1, count)]


def wanted(reader, tags, smile=None, dark_glasses=None, bald=False, full=True):
    """What a drawn avatar of `tags` must show, `{reading: True or False}`, for the readings `reader` has: the
    expression when asked for (`smile`); with `full`, also glasses exactly when `tags` has them (dark ones
    when `dark_glasses`, clear when False, either when None), and hair on the head unless `bald` is None
    (either) or True."""
    if reader is None:
        return {}
    wants = {"smile": smile}
    if full:
        glasses = "glasses" in tags
        wants.update(bald=bald, glasses=glasses, dark_glasses=dark_glasses if glasses else None)
    readable = expression.readings_of(reader)
    return {k: bool(v) for k, v in wants.items() if v is not None and k in readable}


def candidate_inputs(generator, tags, seeds, glasses_weights):
    """The generator inputs of every (seed, glasses weight), seed by seed, and those pairs."""
    index = generator.latent_dim + generator.tag_vocabulary.index["glasses"] if "glasses" in tags else None
    inputs, drawn = [], []
    for seed in seeds:
        base = generator.tag_inputs(1, tags, seed)
        for weight in glasses_weights:
            row = base.copy()
            if weight != 1.0 and index is not None:
                row[:, index] = weight
            inputs.append(row)
            drawn.append((int(seed), float(weight)))
    return np.concatenate(inputs), drawn


def choose(generator, reader, tags, seeds, wants, glasses_weights=(1.0,)):
    """`(avatar uint8, Choice)`: the first candidate whose avatar the reader sees showing every `wants`
    (`{reading: True or False}`), else the one with the highest summed log-probability of them."""
    from keras import ops

    from keras_animegan.utils.pixels import to_uint8

    inputs, drawn = candidate_inputs(generator, tags, seeds, glasses_weights)
    images = ops.convert_to_numpy(generator(inputs, training=False))
    if len(drawn) == 1 or not wants:
        return to_uint8(images[0]), Choice(drawn[0][0], 0, len(drawn), True, {}, drawn[0][1])
    probabilities = expression.read_avatars(reader, images)
    agree = np.stack([probabilities[k] if v else 1.0 - probabilities[k] for k, v in wants.items()], axis=1)
    passing = np.nonzero(np.all(agree > 0.5, axis=1))[0]
    if len(passing):
        pick, passed = int(passing[0]), True
    else:
        pick, passed = int(np.argmax(np.sum(np.log(np.clip(agree, 1e-6, 1.0)), axis=1))), False
    read = {k: float(v[pick]) for k, v in probabilities.items()}
    return to_uint8(images[pick]), Choice(drawn[pick][0], pick, len(drawn), passed, read, drawn[pick][1])
