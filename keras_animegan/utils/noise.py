"""Seeded noise that is the same everywhere: NumPy, every Keras backend, and a SavedModel's own graph.

`sample(n, seed=s)`, `keras-animegan generate --seed`, the demo and the SavedModels' `generate_images` /
`generate_image_bytes(count, seed)` (what `keras-animegan serve` and TF Serving run) all draw the
noise of a seed with this one counter-based generator, so a seed found on one of them draws the same
avatars on every other. NumPy's and TensorFlow's own generators cannot do that: neither can run the
other's algorithm, and a SavedModel's graph runs without Python.

The generator: value `i` of seed `s` hashes the counters `2i` and `2i + 1` with the seed's key
(two rounds of a 32-bit integer hash, "lowbias32"-style with multipliers under 2**31, so every product
fits a signed 64-bit integer and both NumPy and TensorFlow compute it exactly), takes 24 bits of each
as uniform numbers and turns the pair into one standard normal value by Box-Muller, in float64, then
float32. `standard_normal` is the NumPy side; `keras_animegan.export.saved_model` builds the same
arithmetic from TensorFlow ops through `normal_from_counters`.

Plain NumPy (the TensorFlow-free core samples with it).
"""

import numpy as np

_MASK = 0xFFFFFFFF
# Multipliers of Chris Wellons' hash-prospector 32-bit hashes that are below 2**31 (exact in int64).
_MULTIPLIERS = (0x21F0AAAD, 0x735A2D97)
_SEED_SALT = 0x5BD1E995  # keeps seed 0's key away from the all-zero counter


class _NumpyOps:
    xor = staticmethod(np.bitwise_xor)
    shift = staticmethod(np.right_shift)
    mask = staticmethod(lambda x: np.bitwise_and(x, _MASK))
    to_float = staticmethod(lambda x: x.astype(np.float64))
    log, cos, sqrt = np.log, np.cos, np.sqrt


def _hash(x, ops):
    """A 32-bit integer hash of int64 values in [0, 2**32): x ^= x >> 16; x *= C1; x ^= x >> 15; x *= C2; x ^= x >> 15."""
    x = ops.mask(ops.xor(x, ops.shift(x, 16)) * _MULTIPLIERS[0])
    x = ops.mask(ops.xor(x, ops.shift(x, 15)) * _MULTIPLIERS[1])
    return ops.xor(x, ops.shift(x, 15))


def seed_key(seed, ops=_NumpyOps):
    """The 32-bit key of an int seed (any int; taken modulo 2**32), as an int64 scalar of `ops`' kind."""
    return _hash(ops.mask(ops.xor(seed, _SEED_SALT)), ops)


def normal_from_counters(counters, key, ops=_NumpyOps):
    """Standard normal float64 values for int64 `counters` (0, 1, 2, ...) under a seed's `key`."""
    def uniform_bits(counter):
        return ops.shift(_hash(ops.xor(_hash(counter, ops), key), ops), 8)  # 24 bits

    scale = 1.0 / (1 << 24)
    u1 = (ops.to_float(uniform_bits(2 * counters)) + 0.5) * scale  # (0, 1): the log is finite
    u2 = ops.to_float(uniform_bits(2 * counters + 1)) * scale
    return ops.sqrt(-2.0 * ops.log(u1)) * ops.cos(2.0 * np.pi * u2)


def standard_normal(seed, shape):
    """float32 standard normal noise of `shape` for an int `seed`: the same values as every SavedModel's
    `generate_images(count, seed)` draws, on any machine and backend. `seed=None` draws fresh noise."""
    if seed is None:
        return np.random.default_rng().standard_normal(shape).astype(np.float32)
    seed = int(seed)
    counters = np.arange(int(np.prod(shape)), dtype=np.int64)
    key = seed_key(np.int64(seed % (1 << 32)))
    return normal_from_counters(counters, key).astype(np.float32).reshape(shape)
