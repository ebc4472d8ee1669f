"""One training step's numbers on the current Keras backend, for the cross-backend tests.

`python tests/backends/step_case.py OUT_DIR`: for each case of `CASES` (one process per backend: Keras
imports once), writes `OUT_DIR/CASE.npz`. Each case builds a small model, sets every trainable weight, the batch and the noise from numpy (the same on
every backend), computes the discriminators' and the generators' losses and gradients, applies the
updates, and saves the losses, the gradients, the updated weights and the normalization statistics.
(CycleGAN without its image pool, whose random draws are the backend's.)
"""

import argparse
import os
import sys

import numpy as np


CASES = {"dcgan": ["--gan_mode", "vanilla"], "dcgan_lsgan_r1": ["--gan_mode", "lsgan", "--r1", "1.0"],
         "cyclegan": ["--model", "cyclegan"], "cyclegan_r1": ["--model", "cyclegan", "--r1", "1.0"],
         "cartoongan_lsgan": ["--model", "cartoongan", "--gan_mode", "lsgan"]}


def main(argv=None):
    out_dir = (sys.argv[1:] if argv is None else argv)[0]
    for name, args in CASES.items():
        run_case([os.path.join(out_dir, f"{name}.npz"), *args])
    registered_networks(out_dir)
    return 0


#: The weights `registered_networks` sets from numpy (the statistics of normalization layers keep their start).
SET_WEIGHTS = ("kernel", "bias", "gamma", "beta", "alpha", "depthwise_kernel", "pointwise_kernel")


def registered_networks(out_dir):
    """Every registered model's networks (its tiny instance; the registry's, not a list here): each weight set from
    numpy, each network's output on a numpy batch, and the gradients of its mean square with respect to its
    trainable weights, in `OUT_DIR/registered_<name>.npz`. The layers the models are built of compute the same
    on every backend; the model-specific cases above check the losses and the steps."""
    import keras

    from keras_animegan import backend as gan_backend
    from keras_animegan.models import registered_models

    for name, entry in registered_models().items():
        model = entry.tiny(seed=0)
        rng = np.random.default_rng(11)
        networks = [getattr(model, n) for n in model.network_names if getattr(model, n, None) is not None]
        for network in networks:
            for variable in network.weights:
                if variable.name in SET_WEIGHTS:
                    variable.assign(rng.normal(0.0, 0.2, variable.shape).astype("float32"))
        values = []
        for network in networks:
            shape = [side or 16 for side in network.input_shape[1:]]
            x = keras.ops.convert_to_tensor(rng.uniform(-1, 1, (2, *shape)).astype("float32"))

            def loss_fn(network=network, x=x):
                y = network(x, training=False)
                return keras.ops.mean(keras.ops.square(y)), y

            if not network.trainable_variables:  # a frozen network (CartoonGAN's content features): its output
                values += list(loss_fn())
                continue
            (loss, y), grads = gan_backend.stateful(
                model, lambda loss_fn=loss_fn, network=network: model.differentiate(loss_fn,
                                                                                    network.trainable_variables))
            values += [loss, y, *grads]
        np.savez(os.path.join(out_dir, f"registered_{name}.npz"),
                 *[np.asarray(keras.ops.convert_to_numpy(v), dtype=np.float32) for v in values])


def run_case(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--r1", type=float, default=0.0)
    parser.add_argument("--gan_mode", default="vanilla")
    parser.add_argument("--model", default="dcgan", choices=["dcgan", "cyclegan", "cartoongan"])
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args(argv)

    import keras

    from keras_animegan import backend as gan_backend
    from keras_animegan import CartoonGAN
    from keras_animegan import CycleGAN
    from keras_animegan import DCGAN

    keras.mixed_precision.set_dtype_policy(args.dtype)
    if args.model == "dcgan":
        model = DCGAN(latent_dim=8, image_size=32, base_filters=4, seed=1, r1_gamma=args.r1)
    elif args.model == "cartoongan":  # a tiny fixed feature extractor stands for VGG
        inputs = keras.Input((32, 32, 3))
        x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inputs)
        features = keras.Model(inputs, keras.layers.Conv2D(6, 3, padding="same")(x))
        model = CartoonGAN(features, image_size=32, base_filters=4, num_blocks=1, seed=1, r1_gamma=args.r1,
                           style_weight=1.0)
    else:
        model = CycleGAN(image_size=32, base_filters=4, num_blocks=1, num_disc_layers=2, pool_size=0, seed=1,
                         r1_gamma=args.r1)
    if args.model == "cartoongan":  # SGD: a weight whose gradient is 0 up to rounding stays put (Adam would step it)
        model.compile(gan_mode=args.gan_mode, g_optimizer=keras.optimizers.SGD(0.05),
                      d_optimizer=keras.optimizers.SGD(0.05))
    else:
        model.compile(gan_mode=args.gan_mode, g_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5),
                      d_optimizer=keras.optimizers.Adam(1e-2, beta_1=0.5))
    rng = np.random.default_rng(7)
    fixed = model.feature_extractor.weights if args.model == "cartoongan" else []
    for variable in model.generator_trainable_variables + model.discriminator_trainable_variables + fixed:
        variable.assign(rng.normal(0.0, 0.2, variable.shape).astype("float32"))
    real = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    other = rng.uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    noise_d = rng.normal(size=(4, 8)).astype("float32")
    noise_g = rng.normal(size=(4, 8)).astype("float32")
    tensor = keras.ops.convert_to_tensor

    def step():
        if args.model == "cartoongan":  # two whole compiled steps (photo, cartoon, smoothed): losses, then weights
            batch = (real, other, np.ascontiguousarray(other[:, ::-1]))

            class Same(keras.utils.PyDataset):
                num_batches = None

                def __getitem__(self, index):
                    return batch

            history = model.fit(Same(), epochs=2, steps_per_epoch=1, verbose=0).history  # one step per epoch
            return [np.asarray(history[key][epoch]) for epoch in range(2) for key in sorted(history)]
        if args.model == "dcgan":
            d_loss, d_grads = model.discriminator_gradients(tensor(real), tensor(noise_d))
            model.apply_update(model.d_optimizer, d_grads, model.discriminator_trainable_variables)
            g_loss, g_grads = model.generator_gradients(tensor(noise_g))
            model.apply_update(model.g_optimizer, g_grads, model.generator_trainable_variables)
        else:
            (g_loss, *_), g_grads = model.differentiate(
                lambda: model.generator_losses(tensor(real), tensor(other)), model.generator_trainable_variables)
            d_loss, d_grads = model.differentiate(
                lambda: model.discriminator_loss_fn(model.discriminator_a(tensor(real), training=True),
                                                    model.discriminator_a(tensor(other), training=True)),
                model.discriminator_a.trainable_variables)
            # The whole step runs too; its updated weights are not compared: the biases before an instance
            # norm get gradients of 0 up to rounding, which Adam scales up to a full step of either sign.
            model.gan_step((tensor(real), tensor(other)))
        return [keras.ops.convert_to_numpy(x) for x in [d_loss, g_loss, *d_grads, *g_grads]]

    values = step() if args.model == "cartoongan" else gan_backend.stateful(model, step)
    if args.model in ("dcgan", "cartoongan"):
        values += [keras.ops.convert_to_numpy(v.value) for v in model.weights if "seed_generator" not in v.path]
    np.savez(args.out, *[np.asarray(v, dtype=np.float32) for v in values])
    return 0


if __name__ == "__main__":
    sys.exit(main())
