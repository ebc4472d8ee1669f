"""A few `fit` steps of CycleGAN and CartoonGAN (tiny networks, every recipe option), then of every registered
model's tiny instance, on the current Keras backend.

`python tests/backends/fit_case.py`: prints one JSON line per model with its final losses, its step
count and (CartoonGAN) whether the content-only phase ended, then one line per registered model
(`"registered": name`); the test checks them.
"""

import json
import sys

import numpy as np


def main():
    import keras

    from keras_animegan import CartoonGAN
    from keras_animegan import CycleGAN
    from keras_animegan.models.cartoongan_phase import CartoonGANPhase

    size = 32
    rng = np.random.default_rng(0)
    a, b, c = (rng.uniform(-1, 1, (2, size, size, 3)).astype("float32") for _ in range(3))

    class Repeat(keras.utils.PyDataset):
        num_batches = None

        def __init__(self, batch):
            super().__init__()
            self.batch = batch

        def __getitem__(self, index):
            return self.batch

    cyclegan = CycleGAN(image_size=size, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=3, seed=0,
                        ema_decay=0.9, augment="color,translation,cutout", r1_gamma=0.1)
    cyclegan.compile()
    history = cyclegan.fit(Repeat((a, b)), steps_per_epoch=2, epochs=2, verbose=0)
    print(json.dumps({"model": "cyclegan", "steps": cyclegan.train_steps,
                      "losses": {k: float(v[-1]) for k, v in history.history.items()},
                      "pool": int(keras.ops.convert_to_numpy(cyclegan.pool_a.count.value))}))

    inputs = keras.Input((size, size, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inputs)
    features = keras.Model(inputs, keras.layers.Conv2D(6, 3, padding="same")(x))
    cartoongan = CartoonGAN(features, image_size=size, base_filters=4, num_blocks=1, init_steps=2, seed=0,
                            style_weight=1.0, r1_gamma=0.1)
    cartoongan.compile()
    history = cartoongan.fit(Repeat((a, b, c)), steps_per_epoch=2, epochs=2, verbose=0, callbacks=[CartoonGANPhase()])
    print(json.dumps({"model": "cartoongan", "steps": cartoongan.train_steps, "initializing": cartoongan.initializing,
                      "losses": {k: float(v[-1]) for k, v in history.history.items()}}))
    fit_every_registered_model(Repeat)
    return 0


def fit_every_registered_model(repeat):
    """Two `fit` steps of each registered model's tiny instance, on a batch of its own kind."""
    from keras_animegan.models import example_batch
    from keras_animegan.models import registered_models

    for name, entry in registered_models().items():
        model = entry.tiny()
        model.compile()
        history = model.fit(repeat(example_batch(model, batch_size=2)), steps_per_epoch=2, epochs=1, verbose=0)
        print(json.dumps({"registered": name, "steps": int(model.train_steps),
                          "losses": {k: float(v[-1]) for k, v in history.history.items()}}))


if __name__ == "__main__":
    sys.exit(main())
