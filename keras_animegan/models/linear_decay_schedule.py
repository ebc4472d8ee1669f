"""The CycleGAN learning-rate policy: constant, then linear decay to zero."""

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
