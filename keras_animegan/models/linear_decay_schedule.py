"""Learning-rate schedules: CycleGAN's (constant, then linear decay to zero), and a delayed start."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_animegan")
class LinearDecaySchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate for `constant_steps`, then linear decay to zero over `decay_steps`.

    junyanz's `linear` policy (100 epochs constant + 100 decaying), by step.

    Args:
        initial_learning_rate: the constant rate.
        constant_steps: steps at the initial rate.
        decay_steps: steps over which the rate falls to 0.
    """

    def __init__(self, initial_learning_rate, constant_steps, decay_steps):
        self.initial_learning_rate = float(initial_learning_rate)
        self.constant_steps = int(constant_steps)
        self.decay_steps = max(1, int(decay_steps))

    def __call__(self, step):
        step = ops.cast(step, "float32")
        done = ops.maximum(step - self.constant_steps, 0.0) / self.decay_steps
        return self.initial_learning_rate * ops.clip(1.0 - done, 0.0, 1.0)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "constant_steps": self.constant_steps,
            "decay_steps": self.decay_steps,
        }


@keras.saving.register_keras_serializable(package="keras_animegan")
class DelayedStartSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A learning rate of 0 for the first `delay_steps` steps, then `learning_rate`.

    For a generator that starts from a preset beside a fresh discriminator: the discriminator learns
    alone first, so the generator's first updates follow a discriminator that can tell real from fake
    (a fresh one's gradients pull a good generator off course within a few hundred steps).
    """

    def __init__(self, learning_rate, delay_steps):
        self.learning_rate = float(learning_rate)
        self.delay_steps = int(delay_steps)

    def __call__(self, step):
        return ops.where(ops.cast(step, "float32") < self.delay_steps, 0.0, self.learning_rate)

    def get_config(self):
        return {"learning_rate": self.learning_rate, "delay_steps": self.delay_steps}
