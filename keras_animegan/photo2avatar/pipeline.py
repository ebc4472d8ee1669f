"""`Photo2Avatar`: a face photo in, that person's avatar out (face mesh -> attribute readers -> tags -> generator)."""

import dataclasses
import json
import os
import zlib

import numpy as np

from keras_animegan import presets
from keras_animegan.photo2avatar import expression
from keras_animegan.photo2avatar.calibration import Calibration
from keras_animegan.photo2avatar.readers import measure
from keras_animegan.utils.tiles import DEFAULT_UPSCALER
from keras_animegan.utils.public import public

#: The `class_name` of a pipeline preset's config.json.
CLASS_NAME = "Photo2Avatar"


class NoFaceError(ValueError):
    """The photo has no face the face mesh could find."""


@dataclasses.dataclass
class Reading:
    """What `Photo2Avatar.read` found in one photo.

    Attributes:
        tags: the generator tags read off the photo (hair colour, skin, hair length, glasses, mustache).
        measurements: the readers' raw numbers (`readers.Measurements`).
        smile: whether the person smiles (read, but the generator has no smile tag).
        seed: the photo's own seed (from its pixels): the default, so a photo always gives the same avatar.
    """

    tags: list
    measurements: object
    smile: bool
    seed: int


def photo_seed(image):
    """A seed from a photo's pixels (a 32x32 thumbnail's CRC-32): the same photo, the same avatar."""
    import cv2

    thumbnail = cv2.resize(np.ascontiguousarray(image, np.uint8), (32, 32), interpolation=cv2.INTER_AREA)
    return int(zlib.crc32(thumbnail.tobytes()) & 0x7FFFFFFF)


@public
class Photo2Avatar:
    """A face photo -> the person's avatar, drawn by a tag-conditioned generator from the attributes read off it.

    The face mesh (MediaPipe, shipped) places the regions; plain image readers measure
    skin and hair colour, hair length, glasses, facial hair and smile there
    (`keras_animegan.photo2avatar.readers`); a lighting calibration turns them into
    the generator's tags (`calibration.py`); `TaggedDCGAN` draws the avatar. Every
    avatar in the style has the same head shape, so a person is told apart by these
    attributes, as in avatar makers (and Face-to-Parameter, Shi et al. 2019).

    The generator has no expression tag: the mouth comes from the seed. With a `smile_reader`, asking
    for `smile` or `no_smile` (or `match_smile=True`: the photo's own expression) draws the first of
    `candidates` seeds (the given one, then seeds made from it) whose mouth that reader sees so
    (`expression.py`).

    Args:
        generator: a `TaggedDCGAN`.
        reader_settings: the calibration's settings (see `calibration.DEFAULT_SETTINGS`).
        face_mesh: a `keras_animegan.landmarks.FaceMesh` (default: the shipped models, one thread).
        generator_preset: the name of the shipped preset `generator` came from (kept by name when saved).
        smile_reader: the avatars' smile reader (`expression.smile_reader`), or None to draw the seed's mouth.
        candidates: how many seeds to try for an asked-for expression.
        upscaler: what makes avatars larger than the generator's for `size=`: an `Upscaler`, an upscaler
            preset name or folder (default `upscaler_avatars_x4`, loaded on first use), or None (bicubic).
        match_smile: give the avatar the photo's expression (smiling or not) without being asked. Off in
            `photo2avatar_64`: on the dev faces it moved KID from 0.080 to 0.084 (most photos smile, fewer
            avatars do) and did not make the avatars easier to pick out of a line-up.

    Example:

    >>> pipeline = Photo2Avatar.from_preset("photo2avatar_64")
    >>> avatar, tags = pipeline(photo)              # uint8 (64, 64, 3), ["brown_hair", "light_skin", ...]
    >>> avatar, tags = pipeline(photo, seed=3)      # another avatar of the same tags
    >>> avatar, tags = pipeline(photo, tags=["blue_hair"])   # override what was read
    >>> avatar, tags = pipeline(photo, size=256)    # 256 px, through the upscaler_avatars_x4 preset
    """

    def __init__(self, generator, reader_settings=None, face_mesh=None, generator_preset=None, smile_reader=None,
                 candidates=6, match_smile=False, upscaler=DEFAULT_UPSCALER):
        self.generator = generator
        self._upscaler = upscaler
        self.vocabulary = generator.tag_vocabulary
        self.calibration = Calibration(reader_settings)
        self._face_mesh = face_mesh
        self.generator_preset = generator_preset
        self.smile_reader = smile_reader
        if isinstance(candidates, bool) or not isinstance(candidates, int) or not 1 <= candidates <= 64:
            raise ValueError(f"candidates must be an integer from 1 to 64; got {candidates!r}.")
        self.candidates = candidates
        self.match_smile = bool(match_smile)

    @property
    def upscaler(self):
        """The `Upscaler` that `size=` uses (loaded from its preset on first use), or None (plain resizing)."""
        if isinstance(self._upscaler, (str, os.PathLike)):
            from keras_animegan.models import Upscaler

            self._upscaler = Upscaler.from_preset(self._upscaler)
        return self._upscaler

    def resize(self, avatar, size):
        """A uint8 avatar at `size` px: through the upscaler where it grows (see `upscaler`), plainly otherwise."""
        from keras_animegan.utils.tiles import resize_to

        if size is None:
            return avatar
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"size must be a positive number of pixels; got {size!r}.")
        upscaler = self.upscaler if size > max(avatar.shape[:2]) else None
        return resize_to(avatar, int(size), upscaler.upscale if upscaler is not None else None)

    @property
    def face_mesh(self):
        if self._face_mesh is None:
            from keras_animegan.landmarks import FaceMesh

            self._face_mesh = FaceMesh(num_threads=1)
        return self._face_mesh

    # ------------------------------------------------------------------ presets
    @classmethod
    def from_preset(cls, preset="photo2avatar_64", **kwargs):
        """The pipeline of a pipeline preset: a shipped name (`photo2avatar_64`) or a folder `save_to_preset` wrote."""
        config = presets.load_config(preset)
        if config.get("class_name") != CLASS_NAME:
            raise ValueError(f"Preset {preset!r} holds a {config.get('class_name')}, not a {CLASS_NAME} pipeline; "
                             f"pipeline presets: {', '.join(presets.list_presets(CLASS_NAME)) or 'none shipped'}.")
        settings = config.get("config")
        if not isinstance(settings, dict) or not isinstance(settings.get("generator"), str):
            raise ValueError(f"Preset {preset!r}: its config.json names no generator preset (\"config\": "
                             "{\"generator\": ...}).")
        from keras_animegan.models import TaggedDCGAN

        generator_preset = settings["generator"]
        if os.sep not in generator_preset and not os.path.isabs(generator_preset):
            local = os.path.join(presets.preset_folder(preset), generator_preset)
            if os.path.isfile(os.path.join(local, presets.CONFIG_FILE)):
                generator_preset = local  # a generator saved inside the pipeline's folder
        generator = TaggedDCGAN.from_preset(generator_preset)
        reader_path = os.path.join(presets.preset_folder(preset), expression.WEIGHTS_FILE)
        smile_reader = expression.load_reader(reader_path) if os.path.isfile(reader_path) else None
        kwargs.setdefault("candidates", settings.get("candidates", 6))
        kwargs.setdefault("match_smile", settings.get("match_smile", False))
        return cls(generator, settings.get("readers"), generator_preset=settings["generator"],
                   smile_reader=smile_reader, **kwargs)

    def save_to_preset(self, path, metadata=None, model_card=None):
        """Writes a pipeline preset: the reader settings, and the generator (a shipped preset's name is kept
        as a name; any other generator is saved in the folder's `generator/`)."""
        from keras_animegan.utils import safe_files

        os.makedirs(path, exist_ok=True)
        generator = self.generator_preset
        if generator is None or generator not in presets.list_presets():
            self.generator.save_to_preset(os.path.join(path, "generator"))
            generator = "generator"
        config = {"format_version": presets.FORMAT_VERSION, "class_name": CLASS_NAME,
                  "config": {"generator": generator, "readers": self.calibration.get_config(),
                             "candidates": self.candidates, "match_smile": self.match_smile}}
        if self.smile_reader is not None:
            expression.save_weights(self.smile_reader, os.path.join(path, expression.WEIGHTS_FILE))
        safe_files.write_json(os.path.join(path, presets.CONFIG_FILE), config, indent=2)
        metadata = {"class_name": CLASS_NAME, **(metadata or {})}
        safe_files.write_json(os.path.join(path, presets.METADATA_FILE), metadata, indent=2)
        card = model_card if model_card is not None else (
            f"# {metadata.get('name', 'Photo2Avatar')}\n\n{metadata.get('description', '')}\n\n"
            f"Generator: `{generator}`. Reader settings: `{json.dumps(self.calibration.get_config())}`.\n")
        safe_files.write_text(os.path.join(path, presets.CARD_FILE), card)
        return path

    # ------------------------------------------------------------------ reading
    def read(self, photo):
        """The `Reading` of a uint8 RGB photo (H, W, 3).

        Raises:
            NoFaceError: the face mesh found no face.
        """
        image = _as_photo(photo)
        result = self.face_mesh(image)
        if not result.found:
            raise NoFaceError("No face found in the photo (a face should be upright and at least about "
                              "64 pixels wide).")
        measurements = measure(image, result.landmarks)
        tags = self.calibration.tags(measurements, self.vocabulary)
        smile = self.calibration.flags(measurements)["smile"]
        return Reading(tags, measurements, bool(smile), photo_seed(image))

    @staticmethod
    def split_expression(override):
        """The user's tags without `smile` / `no_smile`, and what those asked for (True, False or None)."""
        if not override:
            return [], None
        from keras_animegan.utils.tags import split_tags

        tags = split_tags([override] if isinstance(override, str) else override)
        smile = None
        for tag in tags:
            if tag in ("smile", "no_smile"):
                smile = tag == "smile"
        return [t for t in tags if t not in ("smile", "no_smile")], smile

    def merge_tags(self, read_tags, override=None):
        """`read_tags` with the user's `override` tags put over them, group by group (flags are added).

        `"no_glasses"` / `"no_mustache"` (any `no_<flag>`) turn a read flag off; `smile` / `no_smile`
        are the expression's (see `__call__`), not tags, and are left out here.
        """
        override, _ = self.split_expression(override)
        if not override:
            return list(read_tags)
        off = {t[3:] for t in override if t.startswith("no_") and t[3:] in self.vocabulary.flags}
        given = self.vocabulary.parse([t for t in override if not (t.startswith("no_") and t[3:] in off)])
        groups = {self.vocabulary.groups[self.vocabulary.index[t]] for t in given} - {"flag"}
        kept = [t for t in read_tags if t not in off
                and (self.vocabulary.groups[self.vocabulary.index[t]] not in groups)]
        return sorted(set(kept) | set(given), key=self.vocabulary.index.get)

    # ------------------------------------------------------------------ drawing
    def candidate_seeds(self, seed):
        """The seeds tried for the expression: `seed` first, then seeds made from it."""
        return [int(seed)] + [int(zlib.crc32(f"{int(seed)}:{k}".encode()) & 0x7FFFFFFF)
                              for k in range(1, self.candidates)]

    def draw(self, tags, seed, smile=None):
        """The avatar (uint8 (S, S, 3)) of `tags` and `seed`; with `smile` True/False (and a smile reader), the
        first of the candidate seeds' avatars whose mouth smiles (or not)."""
        from keras import ops

        from keras_animegan.utils.pixels import to_uint8

        seeds = self.candidate_seeds(seed) if smile is not None and self.smile_reader is not None else [int(seed)]
        inputs = np.concatenate([self.generator.tag_inputs(1, list(tags), s) for s in seeds])
        images = ops.convert_to_numpy(self.generator(inputs, training=False))
        pick = 0
        if len(seeds) > 1:
            logits = ops.convert_to_numpy(self.smile_reader(images, training=False))[:, 0]
            wanted = logits if smile else -logits
            matching = np.nonzero(wanted > 0)[0]
            pick = int(matching[0]) if len(matching) else int(np.argmax(wanted))
        return to_uint8(images[pick])

    def __call__(self, photo, seed=None, tags=None, size=None):
        """`(avatar, tags)` of a photo: avatar uint8 (S, S, 3), tags the list it was drawn from.

        Args:
            photo: uint8 RGB (H, W, 3), a file path, or a PIL image.
            seed: None (default): the photo's own seed, so the same photo gives the same avatar; an int for
                another avatar of the same tags.
            tags: tags to put over the ones read (`["blue_hair"]`, `"no_glasses"`; `"smile"` / `"no_smile"` ask for
                the expression).
            size: the avatar's side in pixels (default: the generator's, 64); larger goes through the upscaler.

        Raises:
            NoFaceError: no face in the photo.
        """
        avatar, chosen, _ = self.render(self.read(photo), seed, tags)
        return self.resize(avatar, size), chosen

    def render(self, reading, seed=None, tags=None):
        """`(avatar, tags, expression)` of a `Reading`: what `__call__` draws for the photo it was read from, and
        the expression drawn (`smile` / `no_smile` asked for, else the photo's with `match_smile`, else None).

        Args:
            reading: a `Reading` (`read`).
            seed: as in `__call__`.
            tags: as in `__call__`.
        """
        chosen = self.merge_tags(reading.tags, tags)
        smile = self.expression(reading, tags)
        return self.draw(chosen, reading.seed if seed is None else seed, smile), chosen, smile

    def expression(self, reading, tags=None):
        """The expression to draw: `smile` / `no_smile` from `tags`, else the photo's with `match_smile`, else None
        (the seed's own)."""
        _, smile = self.split_expression(tags)
        if smile is None and self.match_smile:
            smile = reading.smile
        return smile


def _as_photo(photo):
    if isinstance(photo, (str, os.PathLike)):
        from keras_animegan.utils.decoding import read_image_file

        return read_image_file(os.fspath(photo))
    image = np.asarray(photo)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"A photo is an RGB image (H, W, 3); got shape {image.shape}.")
    if image.dtype != np.uint8:
        if np.issubdtype(image.dtype, np.floating) and image.size and image.max() <= 1.0 and image.min() >= 0.0:
            image = np.round(image * 255.0)
        image = np.clip(image, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(image[..., :3])


def is_pipeline_preset(preset):
    """Whether `preset` (a name or folder, or None) is a pipeline preset; False for anything else, unknown ones too."""
    try:
        return preset is not None and presets.load_config(preset).get("class_name") == CLASS_NAME
    except ValueError:
        return False
