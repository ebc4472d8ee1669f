"""Keras callbacks the trainers use, one concept per module.

- `non_finite_guard`: stop at the first NaN/Inf loss (`NonFiniteLossGuard`, `NonFiniteLossError`);
- `training_checkpoint`: exact-step resume (`TrainingCheckpoint`);
- `loss_logger`: per-step losses, TensorBoard and the loss curve (`LossLogger`, `truncate_csv`);
- `sample_grids`: per-epoch sample grids (`NoiseSamples`, `TranslationSamples`, `PairSamples`, `UpscaleSamples`);
- `kid_monitor`: KID every N epochs (`KIDMonitor`).
"""

from keras_animegan.callbacks.kid_monitor import KIDMonitor
from keras_animegan.callbacks.loss_logger import LossLogger
from keras_animegan.callbacks.loss_logger import truncate_csv
from keras_animegan.callbacks.non_finite_guard import NonFiniteLossError
from keras_animegan.callbacks.non_finite_guard import NonFiniteLossGuard
from keras_animegan.callbacks.sample_grids import EpochGrids
from keras_animegan.callbacks.sample_grids import NoiseSamples
from keras_animegan.callbacks.sample_grids import PairSamples
from keras_animegan.callbacks.sample_grids import UpscaleSamples
from keras_animegan.callbacks.sample_grids import TranslationSamples
from keras_animegan.callbacks.training_checkpoint import TrainingCheckpoint
