"""What the anime, thumbs and faces builders share: manual data from a folder or zip of images.

Each builder reads `manual_dir`: a folder of images (nested folders are fine),
one or more `.zip` archives of images, or both. Image files are those ending
in .png, .jpg, .jpeg, .webp, .bmp or .gif (any case); other files are ignored
(`tags.csv` is read by `anime`).

Resize policy of the `64px`, `128px` and `256px` configs: the short side is
resized to the size (Lanczos) and the center is cropped to a square; the
`original` config stores each image at its own size. Every readable image is
converted to 8-bit RGB (grey, palette, CMYK, 16-bit; transparency composited
on white). Files that cannot be decoded (corrupt, truncated, empty, not an
image) are skipped and counted in the build log.

Splits: `train` (95%) and `test` (5%), by a hash of the example key (the
file's path inside `manual_dir` or inside its zip), so an image stays in its
split across rebuilds and as the set grows. A split none of whose images can
be read is left out (TFDS refuses empty splits; a tiny set may have no test
split).
"""

import collections
import dataclasses
import hashlib
import logging
import zipfile
from typing import Optional

import tensorflow as tf
import tensorflow_datasets as tfds
from etils import epath

from keras_animegan.utils.archives import DEFAULT_MAX_MEMBER_BYTES
from keras_animegan.utils.archives import MemberTooLargeError
from keras_animegan.utils.archives import read_member
from keras_animegan.utils.decoding import decode_image
from keras_animegan.utils.decoding import is_image_name

logger = logging.getLogger("keras_animegan")

TEST_PERCENT = 5


@dataclasses.dataclass
class ImageConfig(tfds.core.BuilderConfig):
    """A builder config: `image_size` is the stored square size, None keeps each image's own size.

    `crop_faces` (thumbs): crop each photo to its face (eyes level) before resizing.
    """

    image_size: Optional[int] = None
    crop_faces: bool = False


IMAGE_CONFIGS = [
    ImageConfig(name="64px", image_size=64, description="Short side resized to 64, center-cropped to 64x64."),
    ImageConfig(name="128px", image_size=128, description="Short side resized to 128, center-cropped to 128x128."),
    ImageConfig(name="256px", image_size=256, description="Short side resized to 256, center-cropped to 256x256."),
    ImageConfig(name="original", image_size=None, description="Each image at its own size, as RGB."),
]

MANUAL_DOWNLOAD_INSTRUCTIONS = """\
Put the images in `manual_dir` (default `~/tensorflow_datasets/downloads/manual/`, or pass
`--manual_dir` to `tfds build` / `DownloadConfig(manual_dir=...)`), in either form:
  * a folder of image files (.png .jpg .jpeg .webp .bmp .gif), nested folders allowed, or
  * one or more `.zip` archives of such files, as the sets are passed around; `manual_dir`
    may also be the path of the `.zip` itself.
Other files are ignored; unreadable images are skipped and counted in the build log.
"""


def split_of(key):
    """'test' for about TEST_PERCENT% of keys, 'train' otherwise; depends on the key only."""
    bucket = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if bucket < TEST_PERCENT else "train"


def split_counts(manual_dir):
    """`{split: number of images}` that `manual_dir` gives by the hash rule (unreadable files included)."""
    return dict(collections.Counter(split_of(key) for key in ManualImages(manual_dir).keys()))


class ManualImages:
    """The image files of a manual dir: loose files and members of its zip archives, by key."""

    def __init__(self, manual_dir):
        self.root = epath.Path(manual_dir)
        if not self.root.exists():
            raise FileNotFoundError(f"manual_dir {self.root} does not exist.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}")
        if self.root.is_file():
            if not self.root.name.lower().endswith(".zip"):
                raise ValueError(f"manual_dir {self.root} is a file but not a .zip.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}")
            self.zips, self.loose = [self.root], []
            return
        files = sorted(
            epath.Path(directory) / name
            for directory, _, names in tf.io.gfile.walk(str(self.root))
            for name in names
        )
        self.zips = [p for p in files if p.name.lower().endswith(".zip")]
        self.loose = [p for p in files if is_image_name(str(p.relative_to(self.root)))]
        if not self.zips and not self.loose:
            raise ValueError(f"No images or .zip archives in manual_dir {self.root}.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}")

    def _zip_prefix(self, path):
        # Keys are file names inside the archive; with several archives, prefixed by the archive name.
        return f"{path.relative_to(self.root)}/" if len(self.zips) > 1 else ""

    def keys(self):
        """Every image key, in a stable order."""
        keys = [str(p.relative_to(self.root)) for p in self.loose]
        for path in self.zips:
            with path.open("rb") as f, zipfile.ZipFile(f) as archive:
                prefix = self._zip_prefix(path)
                keys += [prefix + i.filename for i in archive.infolist() if not i.is_dir() and is_image_name(i.filename)]
        return keys

    def read(self, wanted=None):
        """Yields `(key, bytes)` for every image (or the keys for which `wanted(key)` is true).

        A file that cannot be read within the limits (a zip member declaring gigabytes, a corrupt
        member) yields its exception instead of bytes, for the caller to skip and count.
        """
        for path in self.loose:
            key = str(path.relative_to(self.root))
            if wanted is None or wanted(key):
                try:
                    if path.stat().length > DEFAULT_MAX_MEMBER_BYTES:
                        raise MemberTooLargeError(f"is over the {DEFAULT_MAX_MEMBER_BYTES:,}-byte limit for one image")
                    yield key, path.read_bytes()
                except (OSError, ValueError) as error:
                    yield key, error
        for path in self.zips:
            with path.open("rb") as f, zipfile.ZipFile(f) as archive:
                prefix = self._zip_prefix(path)
                for info in archive.infolist():
                    key = prefix + info.filename
                    if info.is_dir() or not is_image_name(info.filename) or (wanted is not None and not wanted(key)):
                        continue
                    try:
                        data = read_member(archive, info)  # declared size and ratio checked first
                    except Exception as error:  # noqa: BLE001 - a bad member is skipped and counted
                        data = error
                    yield key, data

    def read_text(self, name):
        """A small text file by name, beside the images or at the top of a zip; None if absent."""
        path = self.root / name
        if self.root.is_dir() and path.exists():
            return path.read_text(encoding="utf-8-sig")
        for zpath in self.zips:
            with zpath.open("rb") as f, zipfile.ZipFile(f) as archive:
                for candidate in archive.namelist():
                    if candidate.rsplit("/", 1)[-1] == name and candidate.count("/") <= 1:
                        return read_member(archive, candidate, max_bytes=64 * 1024 * 1024).decode("utf-8-sig")
        return None


def _manual_source(dl_manager):
    """`manual_dir`, or the `.zip` file given as `manual_dir` (TFDS itself only accepts folders).

    TFDS's public `DownloadManager.manual_dir` raises when the path is a file
    (tensorflow_datasets/core/download/download_manager.py), and no public
    accessor gives the path as the user passed it, so this reads the private
    `_manual_dir` it checks. No upstream issue asks for zips as `manual_dir`;
    `tests/tfds_builders` builds from a zip, so a TFDS change that renames the
    attribute fails there (the folder route keeps working).
    """
    given = getattr(dl_manager, "_manual_dir", None)
    if given is not None and epath.Path(given).is_file():
        return epath.Path(given)
    return dl_manager.manual_dir


class ImageFolderBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Base of the image-folder builders: features `image` and `image/filename`, configs, splits.

    Subclasses set VERSION / RELEASE_NOTES and may add features with
    `extra_features()` and per-example values with `extra_example_fields()`.
    """

    BUILDER_CONFIGS = IMAGE_CONFIGS
    DEFAULT_CONFIG_NAME = "64px"
    MANUAL_DOWNLOAD_INSTRUCTIONS = MANUAL_DOWNLOAD_INSTRUCTIONS
    HOMEPAGE = None

    def extra_features(self):
        """Features added to `image` and `image/filename` (a dict)."""
        return {}

    def prepare_extras(self, images):
        """Called once per build with the `ManualImages`, before examples are generated."""

    def extra_example_fields(self, key, image):
        """Values of `extra_features()` for one example (a dict)."""
        return {}

    def decode(self, data):
        """Bytes -> the uint8 RGB image to store (config size policy). Subclasses may crop first."""
        return decode_image(data, self.builder_config.image_size)

    def _info(self):
        size = self.builder_config.image_size
        shape = (size, size, 3) if size else (None, None, 3)
        features = {
            "image": tfds.features.Image(shape=shape, encoding_format="png"),
            "image/filename": tfds.features.Text(),
            **self.extra_features(),
        }
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(features), homepage=self.HOMEPAGE
        )

    def _split_generators(self, dl_manager):
        images = ManualImages(_manual_source(dl_manager))
        self.prepare_extras(images)
        splits = collections.defaultdict(set)
        for key in images.keys():
            splits[split_of(key)].add(key)
        # TFDS refuses a split without examples: declare a split only if one of its
        # images decodes (a small set can have no test image at all).
        readable = [s for s in ("train", "test") if splits[s] and self._any_readable(images, splits[s])]
        if not readable:
            raise ValueError(f"No readable images in manual_dir {images.root}.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}")
        return {split: self._generate_examples(images, split) for split in readable}

    @staticmethod
    def _any_readable(images, keys):
        for _, data in images.read(wanted=keys.__contains__):
            try:
                if isinstance(data, Exception):
                    raise data
                decode_image(data, 1)
                return True
            except Exception:  # noqa: BLE001
                continue
        return False

    def _generate_examples(self, images, split):
        skipped = []
        for key, data in images.read(wanted=lambda k: split_of(k) == split):
            try:
                if isinstance(data, Exception):
                    raise data
                image = self.decode(data)
            except Exception as error:  # noqa: BLE001 - any decode failure: skip and count
                skipped.append(key)
                logger.warning("%s: skipping unreadable image %s (%s: %s)", self.name, key, type(error).__name__, error)
                continue
            yield key, {"image": image, "image/filename": key, **self.extra_example_fields(key, image)}
        if skipped:
            shown = ", ".join(skipped[:20]) + (" ..." if len(skipped) > 20 else "")
            logger.warning(
                "%s/%s: skipped %d unreadable file(s) in the %s split: %s",
                self.name, self.builder_config.name, len(skipped), split, shown,
            )
