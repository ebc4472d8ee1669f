"""TensorFlow Datasets as an image source for the trainers."""


from keras_animegan.data.images import SHUFFLE_BUFFER_LIMIT
from keras_animegan.data.images import add_derived
from keras_animegan.data.images import finish_pipeline
from keras_animegan.data.images import fits_in_cache
from keras_animegan.utils import optional

tf = optional.tensorflow("TFDS datasets")


def resize_and_center_crop(image, image_size):
    """TF-graph version of the folder pipeline's policy: short side to `image_size`, center crop."""
    image = tf.convert_to_tensor(image)
    if image.shape.rank == 2:
        image = image[..., None]
    channels = image.shape[-1]
    if channels == 1:
        image = tf.image.grayscale_to_rgb(image)
    elif channels is None:  # unknown until run time: grey -> RGB, drop alpha
        image = tf.cond(
            tf.shape(image)[-1] == 1, lambda: tf.tile(image[..., :1], [1, 1, 3]), lambda: image[..., :3]
        )
    else:
        image = image[..., :3]
    shape = tf.cast(tf.shape(image)[:2], tf.float32)
    scale = tf.cast(image_size, tf.float32) / tf.reduce_min(shape)
    new_size = tf.maximum(tf.cast(tf.round(shape * scale), tf.int32), image_size)
    image = tf.image.resize(image, new_size, method="lanczos3", antialias=True)
    image = tf.image.resize_with_crop_or_pad(image, image_size, image_size)
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def stored_landmark_weights(example, image_key, image_size, weight_fn):
    """(image, weight map) from a TFDS example with stored `landmarks` / `face_found` (thumbs builder).

    The stored landmarks are normalized to the stored image; after the
    short-side resize and center crop they are mapped to the cropped frame.
    """
    image = example[image_key]
    shape = tf.cast(tf.shape(image)[:2], tf.float32)  # (h, w)
    scale = tf.cast(image_size, tf.float32) / tf.reduce_min(shape)
    crop_offset = (shape * scale - tf.cast(image_size, tf.float32)) / 2.0  # pixels cut on each side (y, x)
    xy = example["landmarks"][:, :2] * tf.stack([shape[1], shape[0]]) * scale - tf.stack([crop_offset[1], crop_offset[0]])
    landmarks = xy / tf.cast(image_size, tf.float32)
    weights = tf.numpy_function(
        lambda lm, found: weight_fn.from_landmarks(lm, bool(found), image_size, image_size),
        [landmarks, example["face_found"]], tf.float32, stateful=False)
    weights.set_shape((image_size, image_size, 1))
    return resize_and_center_crop(image, image_size), weights


def multi_hot(labels, num_classes):
    """Class indices (the `anime` builder's `labels` sequence) -> float32 multi-hot vector `(num_classes,)`.

    Works inside `tf.data.Dataset.map`; an empty sequence gives all zeros.
    """
    one_hot = tf.one_hot(tf.cast(labels, tf.int64), num_classes, dtype=tf.float32)
    return tf.minimum(tf.reduce_sum(one_hot, axis=0), 1.0)


def register_project_builders():
    """Registers this project's TFDS builders (`anime`, `thumbs`, `faces`) so that their names resolve.

    `tfds_builders` ships in the same distribution as this package, so a failing
    import is a broken install and is raised, not hidden. The builders import
    only `keras_animegan.utils` and `keras_animegan.landmarks` from this package
    (never `keras_animegan.data`), and this import runs when a source is opened,
    not when `keras_animegan` is imported, so there is no import cycle.
    """
    import tfds_builders  # noqa: F401 - importing it registers the builders with TFDS

    return tfds_builders


class TFDSImageSource:
    """The `image` feature of a TensorFlow Datasets split.

    This project's builders (`anime`, `thumbs`, `faces`) are registered first
    (`register_project_builders`), so their names work here too.

    Args:
        name: dataset name, optionally with config (`"faces/64px"`).
        data_dir: TFDS data directory (default: TFDS's own).
        split: split to read.
        image_key: name of the image feature.
    """

    def __init__(self, name, data_dir=None, split="train", image_key="image"):
        import tensorflow_datasets as tfds

        register_project_builders()
        self.name, self.split, self.image_key = name, split, image_key
        self.builder = tfds.builder(name, data_dir=data_dir)
        if not self.builder.is_prepared():
            try:
                self.builder.download_and_prepare()
            except (AssertionError, FileNotFoundError, ValueError) as error:
                raise ValueError(
                    f"TFDS dataset {name!r} is not built in {self.builder.data_dir!r} and could not be built "
                    f"here ({error}). For this project's builders: `tfds build tfds_builders/"
                    f"{name.split('/')[0]} --manual_dir <folder or zip> --data_dir <dir>`, then pass the "
                    "same --data_dir."
                ) from error
        features = self.builder.info.features
        if image_key not in features:
            raise ValueError(
                f"TFDS dataset {name!r} has no {image_key!r} feature; it has {sorted(features.keys())}."
            )
        self.num_examples = self.builder.info.splits[split].num_examples
        if self.num_examples == 0:
            raise ValueError(f"TFDS dataset {name!r} split {split!r} is empty.")
        self.path = f"tfds:{name}[{split}]"
        self.num_skipped = 0  # TFDS builders drop unreadable files at build time.

    def __len__(self):
        return self.num_examples

    def dataset(self, image_size, batch_size, shuffle=True, seed=None, repeat=True, drop_remainder=True, cache="auto",
                paired_fn=None, weight_fn=None):
        """Same contract as `ImageSource.dataset`.

        With `weight_fn` and a dataset that stores face landmarks (`thumbs`:
        `landmarks`, `face_found`), the maps come from the stored landmarks
        (`weight_fn.from_landmarks`) instead of running the face mesh again.
        """
        ds = self.builder.as_dataset(split=self.split, shuffle_files=shuffle)
        features = self.builder.info.features
        if weight_fn is not None and "landmarks" in features and hasattr(weight_fn, "from_landmarks"):
            ds = ds.map(
                lambda example: stored_landmark_weights(example, self.image_key, image_size, weight_fn),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            weight_fn = None
        else:
            ds = ds.map(
                lambda example: resize_and_center_crop(example[self.image_key], image_size),
                num_parallel_calls=tf.data.AUTOTUNE,
            )
        ds = add_derived(ds, paired_fn, weight_fn)
        if cache == "auto":
            cache = fits_in_cache(self.num_examples, ds.element_spec)
        if cache:
            ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(min(self.num_examples, SHUFFLE_BUFFER_LIMIT), seed=seed)
        return finish_pipeline(ds, batch_size, repeat=repeat, drop_remainder=drop_remainder)
