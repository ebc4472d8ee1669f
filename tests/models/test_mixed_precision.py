"""bf16 and fp16 (loss-scaled) steps of every GAN: finite losses, low-precision compute, float32 outputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_animegan import CartoonGAN
from keras_animegan import CycleGAN
from keras_animegan import DCGAN
from tests.models.test_cartoongan import tiny_features

pytestmark = pytest.mark.slow  # see setup.cfg: subprocesses, servers or many traced models

SIZE = 32


def images(seed, n=2):
    return tf.random.stateless_uniform((n, SIZE, SIZE, 3), (seed, 9), minval=-1, maxval=1)


CASES = {
    "dcgan": (lambda: DCGAN(latent_dim=16, image_size=SIZE, base_filters=4, seed=1), lambda: images(1, 4),
              lambda m: m.generator.get_layer("up0")),
    "cyclegan": (lambda: CycleGAN(image_size=SIZE, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=2, seed=0),
                 lambda: (images(1), images(2)), lambda m: m.generator_ab.layers[2]),
    "cartoongan": (lambda: CartoonGAN(tiny_features(), image_size=SIZE, base_filters=4, num_blocks=1, init_steps=0,
                                      style_weight=1.0, seed=0),
                   lambda: (images(1), images(2), images(3)), lambda m: m.generator.layers[2]),
}


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_low_precision_steps(name, precision):
    make, batch, a_layer = CASES[name]
    keras.mixed_precision.set_dtype_policy(precision)
    model = make()
    model.compile()
    before = [w.numpy().copy() for w in model.generator_trainable_variables]
    history = model.fit(tf.data.Dataset.from_tensors(batch()).repeat(), epochs=1, steps_per_epoch=8, verbose=0)
    low = precision.split("_")[1]
    assert a_layer(model).compute_dtype == low
    assert all(w.dtype == "float32" for w in model.generator_trainable_variables)  # float32 master weights
    for key, values in history.history.items():
        assert np.all(np.isfinite(values)), (key, values)
    x = images(5) if name != "dcgan" else tf.random.normal((2, 16))
    assert model(x).dtype == "float32"
    scaled = isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    assert scaled == (precision == "mixed_float16")
    assert scaled == isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    if scaled:
        # The dynamic scale is a real, finite power of two, and a step was applied.
        scale = float(model.g_optimizer.dynamic_scale.numpy())
        assert np.isfinite(scale) and scale >= 1 and np.log2(scale) == int(np.log2(scale))
    # fp16: the first steps may overflow at the initial scale 2**15 and are skipped while it halves
    # (CartoonGAN's content loss: 2-4 skips); some steps must have been applied.
    assert int(model.g_optimizer.iterations.numpy()) >= 1
    assert any(not np.allclose(b, w.numpy()) for b, w in zip(before, model.generator_trainable_variables))
