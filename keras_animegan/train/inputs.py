"""What trainers train on: image sources from flags (folders, zips, TFDS names, the embedded sets)."""

import dataclasses
import logging

import keras

from keras_animegan import data as ka_data

logger = logging.getLogger("keras_animegan")


def open_source(config, embedded_path):
    if config.uses_embedded_data:
        return ka_data.ImageSource(embedded_path)
    return ka_data.open_image_source(image_dir=config.image_dir, dataset=config.dataset, data_dir=config.data_dir)


@dataclasses.dataclass
class TrainData:
    """What a trainer's `make_data` returns: the batches to fit on and where they come from."""

    dataset: object  # a tf.data.Dataset, or a keras.utils.PyDataset without TensorFlow
    num_images: int  # images in one epoch's worth of data (sets the default steps per epoch)
    sources: list  # ImageSource / TFDSImageSource objects (for skip counts and the log)

    @property
    def num_skipped(self):
        return sum(source.num_skipped for source in self.sources)

    def describe(self):
        return " + ".join(f"{source.path} ({len(source)} images)" for source in self.sources)


def open_named_source(spec, default_path, config, label):
    """A trainer's named input (`--domain_a`, `--photos`, ...): folder, zip or TFDS name; else the embedded set."""
    if spec:
        return ka_data.resolve_image_source(spec, data_dir=config.data_dir)
    logger.info("%s: the embedded set %s.", label, default_path)
    return ka_data.ImageSource(default_path)


def first_images(source, image_size, count):
    """The first `count` readable images of `source` in file order, [-1, 1]: fixed inputs for sample grids."""
    ds = source.dataset(image_size, count, shuffle=False, repeat=True, drop_remainder=True, cache=False)
    if isinstance(ds, keras.utils.PyDataset):  # the numpy pipeline (no TensorFlow)
        return ds[0]
    return next(iter(ds)).numpy()


def refuse_single_source_flags(config, trainer, flags_to_use):
    """Two-source trainers name their inputs; `--image_dir` / `--dataset` would be silently ignored."""
    if config.image_dir or config.dataset:
        raise ValueError(f"{trainer} takes {flags_to_use} (folder, .zip or TFDS name each), "
                         "not --image_dir / --dataset.")


def landmark_weights(config):
    """The weight-map function for `--landmark_weight`, or None when it is 0."""
    if config.landmark_weight < 0:
        raise ValueError(f"--landmark_weight must be >= 0; got {config.landmark_weight}.")
    if not config.landmark_weight:
        return None
    from keras_animegan.landmarks import LandmarkWeights

    return LandmarkWeights(strength=config.landmark_weight)


def single_source_data(config, embedded_path):
    """`make_data` for one image source: `--image_dir` / `--dataset`, else the embedded set."""
    if config.landmark_weight:
        raise ValueError("--landmark_weight applies to `train cyclegan` and `train cartoongan` (photo inputs), "
                         "not to this trainer.")
    source = open_source(config, embedded_path)
    dataset = source.dataset(config.image_size, config.batch_size, shuffle=True, seed=config.seed)
    return TrainData(dataset, len(source), [source])
