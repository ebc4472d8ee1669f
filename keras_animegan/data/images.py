"""Image input: a folder or a `.zip` of images -> batches of [-1, 1] images.

Where TensorFlow is installed the batches come from a `tf.data` pipeline (every Keras backend
takes one); without it, from `NumpyImageBatches`, a `keras.utils.PyDataset` with the same
decoding, skipping, caching, shuffling and derived maps.

Decoding is `keras_animegan.utils.decoding` (Pillow: every mode and format
comes out as 8-bit RGB). Each image is resized so its short side matches the
model size and then center-cropped (`PIL.ImageOps.fit`).

A file that fails to decode is skipped: one warning line naming it, and a
running count in `ImageSource.num_skipped` that the trainers report at the
end of a run. It never stops training.
"""

import logging
import os
import queue
import stat
import threading
import zipfile

import keras
import numpy as np

from keras_animegan.utils import optional
from keras_animegan.utils.archives import DEFAULT_MAX_MEMBER_BYTES
from keras_animegan.utils.archives import MemberTooLargeError
from keras_animegan.utils.archives import open_zip
from keras_animegan.utils.archives import read_member
from keras_animegan.utils.decoding import IMAGE_EXTENSIONS  # noqa: F401 - re-exported
from keras_animegan.utils.decoding import decode_image
from keras_animegan.utils.decoding import is_image_name
from keras_animegan.utils.pixels import to_unit_range

logger = logging.getLogger("keras_animegan")
tf = optional.tensorflow("The tf.data input pipeline")

# Decoded datasets up to this size are cached in memory after the first pass.
SHUFFLE_BUFFER_LIMIT = 10_000
CACHE_BYTES_LIMIT = 1024**3
# Unreadable files named one warning line each, up to this many per source; then one line says
# more follow, and the run's end gives the count.
WARN_FIRST = 20


class ImageSource:
    """The image files of a folder (searched recursively) or a `.zip` archive.

    Args:
        path: a folder or a `.zip` file.

    Raises:
        FileNotFoundError: `path` does not exist.
        ValueError: `path` holds no image files, or is a file but not a zip.

    Example:

    >>> source = ImageSource("avatars.zip")
    >>> dataset = source.dataset(image_size=64, batch_size=128)
    >>> source.num_skipped        # files that failed to decode so far
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise FileNotFoundError(f"Image source {self.path!r} does not exist.")
        self.is_zip = os.path.isfile(self.path)
        if self.is_zip:
            if not zipfile.is_zipfile(self.path):
                raise ValueError(f"Image source {self.path!r} is a file but not a .zip archive.")
            with open_zip(self.path) as archive:
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
        else:
            names = []
            for root, dirs, files in os.walk(self.path, followlinks=True):
                dirs.sort()
                for name in files:
                    names.append(os.path.relpath(os.path.join(root, name), self.path))
        self.files = sorted(n for n in names if is_image_name(n))
        if not self.files:
            raise ValueError(
                f"No image files ({', '.join(IMAGE_EXTENSIONS)}) found in {self.path!r}."
            )
        self._archives = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.skipped = {}  # file name -> error message

    def __len__(self):
        return len(self.files)

    @property
    def num_skipped(self):
        return len(self.skipped)

    def read_bytes(self, name):
        """The raw bytes of one file of the source."""
        if self.is_zip:
            # A ZipFile handle is not safe to share between threads, and opening one
            # parses the whole central directory (ms for thousands of members), so keep
            # a pool of open handles. (threading.local does not work here: tf.data calls
            # in from C++ threads whose Python thread state is new on every call.)
            try:
                archive = self._archives.get_nowait()
            except queue.Empty:
                archive = open_zip(self.path)
            try:
                return read_member(archive, name)  # declared size and ratio checked, read in bounded chunks
            finally:
                self._archives.put(archive)
        path = os.path.join(self.path, name)
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block the reader forever
            raise ValueError("not a regular file (a FIFO, socket or device)")
        if info.st_size > DEFAULT_MAX_MEMBER_BYTES:
            raise MemberTooLargeError(f"is {info.st_size:,} bytes, over the {DEFAULT_MAX_MEMBER_BYTES:,}-byte limit "
                                      "for one image file")
        with open(path, "rb") as f:
            return f.read(DEFAULT_MAX_MEMBER_BYTES + 1)

    def load(self, name, image_size=None):
        """Decodes one file; returns a uint8 array, or None (after one warning) if unreadable."""
        try:
            return decode_image(self.read_bytes(name), image_size, name=self.describe(name))
        except (OSError, ValueError, zipfile.BadZipFile) as error:  # what read_bytes and decode_image raise
            with self._lock:
                first_time = name not in self.skipped
                self.skipped[name] = f"{type(error).__name__}: {error}"
                count = len(self.skipped)
            if first_time and count <= WARN_FIRST:
                logger.warning("Skipping unreadable image %s: %s", self.describe(name), self.skipped[name])
            elif first_time and count == WARN_FIRST + 1:
                logger.warning("More unreadable images in %s; skipping them without a line each (the count "
                               "comes at the end).", self.path)
            return None

    def describe(self, name):
        """A path a user can find: `archive.zip:member` or `folder/file`."""
        return f"{self.path}:{name}" if self.is_zip else os.path.join(self.path, name)

    def check_readable(self, image_size=None):
        """Decodes files in order until one works; raises ValueError naming the source if none does."""
        for name in self.files:
            if self.load(name, image_size) is not None:
                return
        first = ", ".join(f"{name} ({self.skipped.get(name, '?')})" for name in self.files[:3])
        raise ValueError(
            f"No readable images in {self.path!r}: all {len(self.files)} image files failed to decode "
            f"(first: {first})."
        )

    def dataset(
        self,
        image_size,
        batch_size,
        shuffle=True,
        seed=None,
        repeat=True,
        drop_remainder=True,
        cache="auto",
        paired_fn=None,
        weight_fn=None,
        pipeline="auto",
        labels=None,
    ):
        """Float32 image batches in [-1, 1], shape (batch, size, size, 3): a `tf.data.Dataset`, or a
        `NumpyImageBatches` where TensorFlow is not installed (or with `pipeline="numpy"`).

        Args:
            image_size: output height and width (short side resize + center crop).
            batch_size: global batch size.
            shuffle: shuffle the files (reshuffled every pass).
            seed: shuffle seed.
            repeat: repeat forever (trainers then set `steps_per_epoch`).
            drop_remainder: drop a last partial batch (keeps shapes static and
                replica batches equal under `tf.distribute`).
            cache: `True`, `False` or `"auto"`: keep decoded images in memory
                after the first pass; `"auto"` does so when everything cached (images,
                pairs, weight maps) fits in 1 GiB.
            paired_fn: optional `uint8 image -> uint8 image` (numpy), computed once per
                image before the cache; batches are then `(images, paired_fn(images))`
                (CartoonGAN's edge-smoothed cartoons).
            weight_fn: optional `uint8 image -> float32 (h, w, 1) map` (numpy), computed
                once per image before the cache; batches are then `(images, maps)`
                (the landmark loss's weight maps, `keras_animegan.landmarks.LandmarkWeights`).
            pipeline: `"auto"` (tf.data where TensorFlow is installed), `"tf.data"` or `"numpy"`.
            labels: optional `{file name: float32 vector}` (a tagged set's multi-hot tags); only the
                files it names are read, and batches are then `(images, labels)`.
        """
        if labels is not None and (paired_fn is not None or weight_fn is not None):
            raise ValueError("Give labels, or paired_fn / weight_fn, not both.")
        if labels is not None and not any(name in labels for name in self.files):
            raise ValueError(f"None of the {len(self.files)} images in {self.path!r} has labels.")
        self.check_readable(image_size)
        if pipeline == "numpy" or (pipeline == "auto" and not optional.has_tensorflow()):
            return NumpyImageBatches(self, image_size, batch_size, shuffle=shuffle, seed=seed, repeat=repeat,
                                     drop_remainder=drop_remainder, cache=cache, paired_fn=paired_fn,
                                     weight_fn=weight_fn, labels=labels)
        if pipeline not in ("auto", "tf.data", "numpy"):
            raise ValueError(f"pipeline must be 'auto', 'tf.data' or 'numpy'; got {pipeline!r}.")
        return self._tf_dataset(image_size, batch_size, shuffle, seed, repeat, drop_remainder, cache, paired_fn,
                                weight_fn, labels)

    def _tf_dataset(self, image_size, batch_size, shuffle, seed, repeat, drop_remainder, cache, paired_fn,
                    weight_fn, labels=None):
        """`dataset` as a `tf.data` pipeline: decode in parallel, skip unreadable files, cache, shuffle, batch."""
        files = self.files if labels is None else [name for name in self.files if name in labels]
        if cache == "auto":
            one = tf.data.Dataset.from_tensors(tf.zeros((image_size, image_size, 3), tf.uint8))
            spec = add_derived(one, paired_fn, weight_fn).element_spec
            if labels is not None:
                spec = (spec, tf.TensorSpec((len(labels[files[0]]),), tf.float32))
            cache = fits_in_cache(len(files), spec)
        if not shuffle:
            seed = None

        def load(name):
            image = self.load(name.decode("utf-8"), image_size)
            if image is None:
                return np.zeros((image_size, image_size, 3), np.uint8), False
            return image, True

        def load_tf(name):
            image, ok = tf.numpy_function(load, [name], [tf.uint8, tf.bool], stateful=False)
            image.set_shape((image_size, image_size, 3))
            ok.set_shape(())
            return image, ok

        if labels is None:
            ds = tf.data.Dataset.from_tensor_slices(files)
        else:
            matrix = np.stack([np.asarray(labels[name], np.float32) for name in files])
            ds = tf.data.Dataset.from_tensor_slices((files, matrix))
        if shuffle and not cache:
            ds = ds.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(_with_image(load_tf), num_parallel_calls=tf.data.AUTOTUNE)
        ds = ds.filter(_is_ok).map(_drop_flag)
        ds = add_derived(ds, paired_fn, weight_fn)
        if cache:
            ds = ds.cache()
            if shuffle:
                buffer = min(len(files), SHUFFLE_BUFFER_LIMIT)
                ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
        return finish_pipeline(ds, batch_size, repeat=repeat, drop_remainder=drop_remainder)


def cached_bytes(num_examples, element_spec):
    """Bytes that caching `num_examples` elements of `element_spec` holds: every tensor of an element
    (the image, and its edge-smoothed pair or float32 weight map when there is one)."""
    per_example = sum(int(np.prod(spec.shape)) * spec.dtype.size for spec in keras.tree.flatten(element_spec))
    return num_examples * per_example


def fits_in_cache(num_examples, element_spec):
    """Whether `num_examples` elements of `element_spec` fit the in-memory cache budget."""
    return cached_bytes(num_examples, element_spec) <= CACHE_BYTES_LIMIT


def _with_image(load_tf):
    """`(name[, label]) -> (image, ok[, label])`: the file decoded, its label (if any) carried along."""
    def load(name, *label):
        return (*load_tf(name), *label)

    return load


def _is_ok(image, ok, *label):
    return ok


def _drop_flag(image, ok, *label):
    return (image, *label) if label else image


def add_derived(ds, paired_fn=None, weight_fn=None):
    """uint8 images -> (image, paired_fn(image)) or (image, weight_fn(image)); the fns run in numpy."""
    if paired_fn is not None and weight_fn is not None:
        raise ValueError("Give paired_fn or weight_fn, not both.")
    if paired_fn is None and weight_fn is None:
        return ds
    fn, dtype = (paired_fn, tf.uint8) if paired_fn is not None else (weight_fn, tf.float32)

    def derive(image):
        derived = tf.numpy_function(fn, [image], dtype, stateful=False)
        derived.set_shape(image.shape if dtype == tf.uint8 else image.shape[:-1] + (1,))
        return image, derived

    return ds.map(derive, num_parallel_calls=tf.data.AUTOTUNE)


def _scale_images(x):
    """[0, 255] uint8 images -> [-1, 1]; anything else (weight maps) is left as it is."""
    return to_unit_range(x) if x.dtype == tf.uint8 else x


def finish_pipeline(ds, batch_size, repeat=True, drop_remainder=True):
    """uint8 images -> repeated, batched, [-1, 1] float32, prefetched."""
    if repeat:
        ds = ds.repeat()
    ds = ds.batch(batch_size, drop_remainder=drop_remainder, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda *x: tf.nest.map_structure(_scale_images, x[0] if len(x) == 1 else x),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def image_dataset(source, image_size, batch_size, **kwargs):
    """A `tf.data.Dataset` of [-1, 1] image batches from a folder or `.zip` of images.

    Shortcut for `ImageSource(source).dataset(image_size, batch_size, **kwargs)`.
    """
    return ImageSource(source).dataset(image_size, batch_size, **kwargs)


class NumpyImageBatches(keras.utils.PyDataset):
    """The batches of `ImageSource.dataset` without TensorFlow: a `keras.utils.PyDataset`.

    Same decoding (Pillow, short side resize and center crop), same skipping of unreadable
    files (counted in the source's `num_skipped`), an in-memory cache of decoded images,
    a seeded shuffle that changes every pass, and the same `(images, derived)` batches with
    `paired_fn` or `weight_fn`. A batch that meets an unreadable file takes the next files in
    the pass's order, so every batch is full (static shapes: XLA compiles one step).
    Decoding runs on `workers` threads.
    """

    def __init__(self, source, image_size, batch_size, shuffle=True, seed=None, repeat=True, drop_remainder=True,
                 cache="auto", paired_fn=None, weight_fn=None, workers=4, labels=None):
        super().__init__(workers=workers, use_multiprocessing=False)
        if paired_fn is not None and weight_fn is not None:
            raise ValueError("Give paired_fn or weight_fn, not both.")
        self.source, self.image_size, self.batch_size = source, int(image_size), int(batch_size)
        self.labels = labels
        self.files = source.files if labels is None else [name for name in source.files if name in labels]
        self.shuffle, self.repeat, self.drop_remainder = shuffle, repeat, drop_remainder
        self.seed = int(seed) if seed is not None else int(np.random.randint(2**31 - 1))
        self.derive, self.derived_is_image = (paired_fn, True) if paired_fn is not None else (weight_fn, False)
        per_image = self.image_size**2 * 3
        derived = (per_image if paired_fn is not None else self.image_size**2 * 4 if weight_fn is not None else 0)
        self.cache = (len(source) * (per_image + derived) <= CACHE_BYTES_LIMIT) if cache == "auto" else bool(cache)
        self._cached = {}
        self._pass_order = (None, None)  # (pass index, its file order): computed once per pass
        count = len(self.files)
        self.batches_per_pass = (max(1, count // self.batch_size) if drop_remainder
                                 else -(-count // self.batch_size))

    @property
    def num_batches(self):
        return None if self.repeat else self.batches_per_pass

    def __len__(self):
        if self.repeat:
            raise TypeError("A repeating NumpyImageBatches has no length (it is infinite).")
        return self.batches_per_pass

    def _order(self, pass_index):
        cached_pass, order = self._pass_order
        if cached_pass != pass_index:
            count = len(self.files)
            order = (np.random.default_rng([self.seed, pass_index]).permutation(count) if self.shuffle
                     else np.arange(count))
            self._pass_order = (pass_index, order)
        return order

    def _item(self, name):
        if name in self._cached:
            return self._cached[name]
        image = self.source.load(name, self.image_size)
        if self.labels is not None:
            item = None if image is None else (image, np.asarray(self.labels[name], np.float32))
        else:
            item = None if image is None else (image, self.derive(image) if self.derive is not None else None)
        if self.cache:
            self._cached[name] = item
        return item

    def __getitem__(self, index):
        pass_index, position = divmod(int(index), self.batches_per_pass)
        order = self._order(pass_index)
        count, start = len(order), position * self.batch_size
        wanted = self.batch_size if self.drop_remainder else min(self.batch_size, count - start)
        items, offset = [], 0
        while len(items) < wanted and offset < count:
            item = self._item(self.files[order[(start + offset) % count]])
            offset += 1
            if item is not None:
                items.append(item)
        if not items:
            raise ValueError(f"No readable images in {self.source.path!r}.")
        readable = len(items)  # fewer readable images than a batch: repeat them in turn, as tf.data's repeat does
        items += [items[i % readable] for i in range(wanted - readable)]
        images = to_unit_range(np.stack([image for image, _ in items]))
        if self.labels is not None:
            return images, np.stack([label for _, label in items])
        if self.derive is None:
            return images
        derived = np.stack([d for _, d in items])
        return images, (to_unit_range(derived) if self.derived_is_image else derived.astype(np.float32))


class ZippedBatches(keras.utils.PyDataset):
    """Several `NumpyImageBatches` read in step, each batch `combine(*batches)`: `zip_batches` without TensorFlow."""

    def __init__(self, datasets, combine=None, workers=4):
        super().__init__(workers=workers, use_multiprocessing=False)
        self.datasets, self.combine = list(datasets), combine
        self.repeat = all(d.num_batches is None for d in self.datasets)

    @property
    def num_batches(self):
        return None if self.repeat else min(len(d) for d in self.datasets)

    def __len__(self):
        if self.repeat:
            raise TypeError("Repeating ZippedBatches have no length (they are infinite).")
        return self.num_batches

    def __getitem__(self, index):
        batches = tuple(d[index] for d in self.datasets)
        return self.combine(*batches) if self.combine is not None else batches


def zip_batches(datasets, combine=None):
    """The batches of several `ImageSource.dataset`s side by side, as `combine(*batches)` (default: a tuple).

    `tf.data.Dataset.zip` (mapped and prefetched) for `tf.data` pipelines, `ZippedBatches` for the
    numpy ones; `combine` sees tuples of tensors or of numpy arrays and only rearranges them.
    """
    datasets = list(datasets)
    if all(isinstance(d, NumpyImageBatches) for d in datasets):
        return ZippedBatches(datasets, combine)
    if any(isinstance(d, keras.utils.PyDataset) for d in datasets):
        raise TypeError("zip_batches takes all tf.data pipelines or all numpy ones, not a mix.")
    ds = tf.data.Dataset.zip(tuple(datasets))
    if combine is not None:
        ds = ds.map(combine)
    return ds.prefetch(tf.data.AUTOTUNE)
