"""`GANModel`: the base class that DCGAN, CycleGAN and CartoonGAN share."""


import keras
import numpy as np
from keras import ops

from keras_animegan import backend as gan_backend
from keras_animegan.losses import get_adversarial_loss
from keras_animegan.models.augment import parse_policy
from keras_animegan.models.batched_calls import BatchedCalls
from keras_animegan.models.ema import EMAGenerators
from keras_animegan.models.regularizers import DiscriminatorRegularizers
from keras_animegan.models.replicas import ReplicaMath
from keras_animegan.models.serialization import ConfigAndPresets
from keras_animegan.utils.public import public


def _loss_scaled(optimizer):
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer)


@public
@keras.saving.register_keras_serializable(package="keras_animegan")
class GANModel(BatchedCalls, ConfigAndPresets, EMAGenerators, DiscriminatorRegularizers, ReplicaMath, keras.Model):
    """Base class for the GANs of keras-animegan.

    A `GANModel` owns its sub-networks (named in `network_names`), one
    `keras.metrics.Mean` tracker per loss (named in `loss_names`) and a
    `keras.random.SeedGenerator`. Subclasses override `train_step`; `call()`
    is the inference path (the generator with `training=False`), so
    `model(x)`, `model.predict(x)` and `model.export(path)` give what a user
    wants to serve.

    Distribution: a loss returned by the shared loss functions is a mean over
    the *local* batch. `scale_loss_for_replicas()` divides it by the number of
    replicas in sync, so the all-reduced (summed) gradient is the gradient of
    the mean over the global batch, as with one device. `step_seed()` gives a
    stateless seed that differs per step, per replica and per use, and that
    continues exactly where it left off when a run resumes from a checkpoint.

    Training recipe options (all off by default, which is the report's
    training; `train/<model>.py --recipe modern` turns on the measured best):

    - `ema_decay`: keep an exponential moving average of the generator
      weights (Karras et al. 2018/2020; StyleGAN2-ADA's `G_ema`). The EMA
      networks (`ema_<name>` for each of `ema_network_names`) are what
      `call()`, `sample()`, `translate()`, sample grids, KID, `.keras` files
      and exports use; the raw generators keep training. Both are saved in
      checkpoints. As in StyleGAN2-ADA, the averaging horizon grows with
      training: the EMA's half-life is `min(h, ema_rampup * t)` steps at step
      t, where `h` is the half-life of `ema_decay`, so early weights are not
      averaged with the initialization and a short run keeps a short horizon.
    - `augment`: a DiffAugment policy (`"color,translation,cutout"`) applied
      to real and generated images alike before every discriminator call
      (Zhao et al. 2020), see `keras_animegan.models.augment`.
    - `r1_gamma`: R1 gradient penalty `r1_gamma / 2 * E[|grad_x D(x)|^2]` on
      real images (Mescheder et al. 2018), every step.

    Args:
        seed: int or None. Seeds training noise and `SeedGenerator`. `None`
            draws a seed once; it is then stored in the config.
        ema_decay: EMA decay of the generator weights per step once ramped up
            (e.g. 0.999); None or 0: no EMA.
        ema_rampup: half-life ramp-up, as a fraction of the steps taken
            (StyleGAN2-ADA: 0.05); None: a constant `ema_decay`.
        augment: DiffAugment policy for the discriminators' inputs; None or
            "": none.
        r1_gamma: R1 penalty weight on real images; 0: none.
        **kwargs: passed to `keras.Model` (`name`, `dtype`, ...).
    """

    #: Attribute names of the sub-networks; serialized by `get_config`.
    network_names = ()
    #: Names of the tracked losses, in progress bar order.
    loss_names = ()
    #: Learning rate used when `compile()` gets no optimizers.
    default_learning_rate = 2e-4
    #: Generator networks that get an EMA copy when `ema_decay` is set.
    ema_network_names = ("generator",)
    #: The name `register_model` gave the class (`"dcgan"`, ...): the command line, `.keras` and export names.
    registry_name = None
    #: What the generator takes: `"noise"` (a latent vector, `latent_dim` long) or `"image"` (an image to
    #: translate). Export, the command line, the server and the shared tests ask this, not the networks.
    input_kind = "image"
    #: Translation directions a user may choose from (CycleGAN: `("ab", "ba")`); empty: one generator.
    directions = ()

    def __init__(self, seed=None, ema_decay=None, ema_rampup=0.05, augment=None, r1_gamma=0.0, **kwargs):
        super().__init__(**kwargs)
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        self.seed = int(seed)
        if ema_decay is not None and not 0.0 <= float(ema_decay) < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1) (or None); got {ema_decay!r}.")
        if float(r1_gamma) < 0:
            raise ValueError(f"r1_gamma must be >= 0; got {r1_gamma!r}.")
        self.ema_decay = float(ema_decay) if ema_decay else None
        if ema_rampup is not None and float(ema_rampup) <= 0:
            raise ValueError(f"ema_rampup must be > 0 (or None); got {ema_rampup!r}.")
        self.ema_rampup = float(ema_rampup) if ema_rampup is not None else None
        self.augment_policy = ",".join(parse_policy(augment))
        self.r1_gamma = float(r1_gamma)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        self.loss_trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]
        self.gan_mode = None

    # ------------------------------------------------------------------ compile
    def compile(self, *, g_optimizer=None, d_optimizer=None, gan_mode="lsgan", **kwargs):
        """Configures the model for training.

        Args:
            g_optimizer: optimizer for the generator(s). Default: Adam with
                `default_learning_rate` and `beta_1=0.5`.
            d_optimizer: optimizer for the discriminator(s). Same default.
            gan_mode: adversarial loss: `"lsgan"`, `"vanilla"` or `"hinge"`.
            **kwargs: passed to `keras.Model.compile` (e.g. `jit_compile`,
                `steps_per_execution`). `optimizer`, `loss` and `metrics` are
                not used by GANs and are rejected.
        """
        for key in ("optimizer", "loss", "metrics"):
            if kwargs.get(key) is not None:
                raise ValueError(
                    f"{type(self).__name__}.compile() takes g_optimizer= and "
                    f"d_optimizer= (keyword-only) and computes its own losses; "
                    f"got {key}={kwargs[key]!r}."
                )
            kwargs.pop(key, None)
        if gan_backend.BACKEND == "jax" and type(self).train_step is not GANModel.train_step:
            raise NotImplementedError(
                f"{type(self).__name__} overrides train_step(data), which Keras's JAX trainer does not call "
                "(it calls train_step(state, data)). Implement gan_step(data) instead: GANModel runs it on "
                "TensorFlow, JAX and PyTorch.")
        self.gan_mode = gan_mode
        self.generator_loss_fn, self.discriminator_loss_fn = get_adversarial_loss(gan_mode)
        self.g_optimizer = keras.optimizers.get(g_optimizer) if g_optimizer else self._default_optimizer()
        self.d_optimizer = keras.optimizers.get(d_optimizer) if d_optimizer else self._default_optimizer()
        if self.dtype_policy.name == "mixed_float16":
            # float16 gradients underflow without loss scaling (bfloat16 has float32's range and needs none).
            self.g_optimizer = _loss_scaled(self.g_optimizer)
            self.d_optimizer = _loss_scaled(self.d_optimizer)
        super().compile(optimizer=None, **kwargs)
        # Build the optimizers now (inside the caller's strategy scope) so their
        # slots exist before the first distributed step and before a restore.
        if not self.g_optimizer.built:
            self.g_optimizer.build(self.generator_trainable_variables)
        if not self.d_optimizer.built:
            self.d_optimizer.build(self.discriminator_trainable_variables)
        gan_backend.after_compile(self)

    def _default_optimizer(self):
        return keras.optimizers.Adam(learning_rate=self.default_learning_rate, beta_1=0.5)

    def get_compile_config(self):
        if not getattr(self, "compiled", False) or self.gan_mode is None:
            return None
        return {
            "g_optimizer": keras.saving.serialize_keras_object(self.g_optimizer),
            "d_optimizer": keras.saving.serialize_keras_object(self.d_optimizer),
            "gan_mode": self.gan_mode,
        }

    def compile_from_config(self, config):
        self.compile(
            g_optimizer=keras.saving.deserialize_keras_object(config["g_optimizer"]),
            d_optimizer=keras.saving.deserialize_keras_object(config["d_optimizer"]),
            gan_mode=config["gan_mode"],
        )

    # --------------------------------------------------------------- variables
    @property
    def generator_trainable_variables(self):
        """Variables the generator optimizer updates: `self.generator`'s (CycleGAN: both generators')."""
        return self.generator.trainable_variables

    @property
    def discriminator_trainable_variables(self):
        """Variables the discriminator optimizer updates: `self.discriminator`'s (CycleGAN: both)."""
        return self.discriminator.trainable_variables

    # ---------------------------------------------------------------- updates
    def apply_update(self, optimizer, grads, variables):
        """`optimizer.apply(grads, variables)`, and the step is counted even when the optimizer skips it.

        Under fp16 a `LossScaleOptimizer` skips a step whose gradients overflow
        and leaves `iterations` as it was. The step count drives resume,
        checkpoint cadence, the loss log, CartoonGAN's phase switch, noise seeds
        and the EMA ramp, so a skipped step still advances `iterations`: it is
        the one counter every step advances.
        """
        if not isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            gan_backend.apply_gradients(optimizer, grads, variables)
            return
        # Before and after, through the same variable: unchanged means the update was skipped. (The
        # optimizer decides on the all-reduced gradients, so this replica's own cannot tell.)
        iterations = optimizer.iterations
        before = gan_backend.snapshot(iterations.value)
        gan_backend.apply_gradients(optimizer, grads, variables)
        iterations.assign_add(ops.cast(ops.equal(gan_backend.snapshot(iterations.value), before), iterations.dtype))

    def differentiate(self, loss_fn, variables):
        """`(loss_fn(), gradients of its first output with respect to variables)` on any backend."""
        return gan_backend.gradients(loss_fn, variables)

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        return list(self.loss_trackers)

    def update_loss_trackers(self, **losses):
        """Updates the `Mean` tracker of each named loss; returns all running means."""
        unknown = set(losses) - set(self.loss_names)
        if unknown:
            raise KeyError(f"Unknown loss names {sorted(unknown)}; tracked: {self.loss_names}")
        for tracker in self.loss_trackers:
            if tracker.name in losses:
                tracker.update_state(losses[tracker.name])
        return self.step_logs({tracker.name: tracker.result() for tracker in self.loss_trackers})

    @staticmethod
    def step_logs(logs):
        """What `train_step` returns: scalars, or shape-(1,) tensors under a multi-worker `tf.distribute`."""
        return gan_backend.step_logs(logs)

    @property
    def train_steps(self):
        """Training steps taken so far (the generator optimizer's `iterations`), as a Python int."""
        return int(keras.ops.convert_to_numpy(self.g_optimizer.iterations))

    # -------------------------------------------------------------------- train
    def train_step(self, *args):
        """Keras's hook: `(data)` on TensorFlow and PyTorch, `(state, data)` on JAX; runs `gan_step(data)`."""
        return gan_backend.train_step(self, *args)

    def gan_step(self, data):
        """One training step, written once for every backend; subclasses implement it."""
        raise NotImplementedError

    # ---------------------------------------------------------------- inference
    def call(self, inputs, training=False):
        return self.inference_generator()(inputs, training=training)

    def inference_generator(self, direction=None):
        """The generator that sampling, translating and exports run (its EMA copy when the model keeps one).

        Args:
            direction: one of `directions` for a model with several generators (None: the first).
        """
        if direction is not None and direction not in self.directions:
            choices = f"one of {', '.join(map(repr, self.directions))}" if self.directions else "None"
            raise ValueError(f"{type(self).__name__}: direction must be {choices}; got {direction!r}.")
        return self.inference_network("generator")

    def export_networks(self, name):
        """`{export name: network}`: what exporting this model as `name` writes (one entry per generator)."""
        if not self.directions:
            return {name: self.inference_generator()}
        return {f"{name}_{direction}": self.inference_generator(direction) for direction in self.directions}

    def export_options(self):
        """Options every export format gets besides the network (a tagged model's vocabulary); default none."""
        return {}


def input_kind_of(model, network=None):
    """What a generator takes: a `GANModel`'s `input_kind`; for a bare generator network (a `keras.Model`
    given without its GAN), `"noise"` when its input is a vector and `"image"` otherwise."""
    if isinstance(model, GANModel):
        return model.input_kind
    network = network if network is not None else model
    return "noise" if len(network.input_shape) == 2 else "image"
