"""The KID monitor of a training run (`--kid_every`): the model's outputs against real images, per epoch."""

import keras
import numpy as np

from keras_animegan import callbacks as ka_callbacks
from keras_animegan.train.inputs import first_images


def kid_monitor(config, model, data, paths, resumed_from):
    """A `KIDMonitor`: the model's outputs against the last source's images (DCGAN: the training images;
    CycleGAN: domain B; CartoonGAN: the cartoons), translators fed the first source's first images."""
    from keras_animegan import metrics

    if config.kid_every < 0 or config.kid_samples < 2:
        raise ValueError(f"--kid_every must be >= 0 and --kid_samples >= 2; got {config.kid_every}, "
                         f"{config.kid_samples}.")
    features = metrics.feature_model(config.kid_features, config.image_size)
    count = min(config.kid_samples, *(len(source) for source in data.sources))
    real = first_images(data.sources[-1], config.image_size, count)
    chunk = 100
    if model.input_kind in ("noise", "tags"):  # a tagged model draws its tags from the training set
        def sample_fn(m):
            return np.concatenate([np.asarray(m.sample(min(chunk, count - i), seed=i)) for i in range(0, count, chunk)])
    else:
        inputs = first_images(data.sources[0], config.image_size, count)

        def sample_fn(m):
            return np.concatenate([keras.ops.convert_to_numpy(m(inputs[i:i + chunk], training=False))
                                   for i in range(0, count, chunk)])
    ka_callbacks.truncate_csv(paths.kid_csv, resumed_from, "step")  # a resumed run recomputes them
    return ka_callbacks.KIDMonitor(real, features, sample_fn, every_n_epochs=config.kid_every,
                                   num_subsets=50, subset_size=max(2, count // 2), log_dir=paths.logs,
                                   csv_path=paths.kid_csv)
