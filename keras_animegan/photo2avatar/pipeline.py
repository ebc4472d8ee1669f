"""`Photo2Avatar`: a face photo in, that person's avatar out (face mesh -> attribute readers -> tags -> generator)."""

import dataclasses
import json
import os
import zlib

import numpy as np

from keras_animegan import presets
from keras_animegan.photo2avatar import check as avatar_check
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
        left_out: tags read but not drawn (the pipeline's `leave_out`, e.g. a mustache the generator smudges).
    """

    tags: list
    measurements: object
    smile: bool
    seed: int
    left_out: list = dataclasses.field(default_factory=list)


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

    Some seeds draw a face that does not show its tags (a bald head for `short_hair`, a dark smear for
    `glasses`), and the generator has no expression tag: the mouth comes from the seed. So with an
    `avatar_reader` (`expression.py`, shipped in `photo2avatar_64`), the pipeline draws up to `candidates`
    seeds (the given one first, then seeds made from it) and keeps the first whose avatar shows hair on
    the head, glasses exactly when asked (clear ones unless the photo's lenses are dark), and the
    expression asked for (`smile` / `no_smile`, or the photo's own with `match_smile`). When none does, it
    keeps the one the reader finds closest. The same photo and seed always give the same avatar.

    Args:
        generator: a `TaggedDCGAN`.
        reader_settings: the calibration's settings (see `calibration.DEFAULT_SETTINGS`).
        face_mesh: a `keras_animegan.landmarks.FaceMesh` (default: the shipped models, one thread).
        generator_preset: the name of the shipped preset `generator` came from (kept by name when saved).
        avatar_reader: the network that reads drawn avatars (`expression.avatar_reader`, or an older preset's
            mouth-only `smile_reader`), or None to draw the seed as it comes.
        candidates: how many seeds to try (1 to 64).
        upscaler: what makes avatars larger than the generator's for `size=`: an `Upscaler`, an upscaler
            preset name or folder (default `upscaler_avatars_x4`, loaded on first use), or None (bicubic).
        match_smile: give the avatar the photo's expression (smiling or not) without being asked (on in
            `photo2avatar_64`).
        check: with an avatar reader, also check hair and glasses (see above); False checks the expression only.
        leave_out: tags that are read off a photo but not drawn unless asked for (`photo2avatar_64`: `mustache`,
            which its generator draws as a smudge on the cheek).
        smile_reader: the former name of `avatar_reader`.

    Example:

    >>> pipeline = Photo2Avatar.from_preset("photo2avatar_64")
    >>> avatar, tags = pipeline(photo)              # uint8 (64, 64, 3), ["brown_hair", "light_skin", ...]
    >>> avatar, tags = pipeline(photo, seed=3)      # another avatar of the same tags
    >>> avatar, tags = pipeline(photo, tags=["blue_hair"])   # override what was read
    >>> avatar, tags = pipeline(photo, size=256)    # 256 px, through the upscaler_avatars_x4 preset
    """

    def __init__(self, generator, reader_settings=None, face_mesh=None, generator_preset=None, avatar_reader=None,
                 candidates=12, match_smile=False, upscaler=DEFAULT_UPSCALER, check=True, smile_reader=None,
                 leave_out=()):
        self.generator = generator
        self._upscaler = upscaler
        self.vocabulary = generator.tag_vocabulary
        self.calibration = Calibration(reader_settings)
        self._face_mesh = face_mesh
        self.generator_preset = generator_preset
        if avatar_reader is not None and smile_reader is not None:
            raise ValueError("Give avatar_reader or its former name smile_reader, not both.")
        self.avatar_reader = avatar_reader if avatar_reader is not None else smile_reader
        self.check = bool(check)
        self.leave_out = [t for t in self.vocabulary.parse(list(leave_out))] if leave_out else []
        if isinstance(candidates, bool) or not isinstance(candidates, int) or not 1 <= candidates <= 64:
            raise ValueError(f"candidates must be an integer from 1 to 64; got {candidates!r}.")
        self.candidates = candidates
        self.match_smile = bool(match_smile)

    @property
    def smile_reader(self):
        """The avatar reader (its first output is the smile's logit); the former name of `avatar_reader`."""
        return self.avatar_reader

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
        reader_path = expression.find_reader(presets.preset_folder(preset))
        kwargs.setdefault("candidates", settings.get("candidates", 6))
        kwargs.setdefault("match_smile", settings.get("match_smile", False))
        kwargs.setdefault("check", settings.get("check", True))
        kwargs.setdefault("leave_out", settings.get("leave_out", []))
        if "avatar_reader" not in kwargs and "smile_reader" not in kwargs:
            kwargs["avatar_reader"] = expression.load_reader(reader_path) if reader_path else None
        return cls(generator, settings.get("readers"), generator_preset=settings["generator"], **kwargs)

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
                             "candidates": self.candidates, "match_smile": self.match_smile, "check": self.check,
                             "leave_out": list(self.leave_out)}}
        if self.avatar_reader is not None:
            name = expression.WEIGHTS_FILE if expression.readings_of(self.avatar_reader) == expression.READINGS \
                else expression.LEGACY_WEIGHTS_FILE
            expression.save_weights(self.avatar_reader, os.path.join(path, name))
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
        tags, left_out = self.tags_of(measurements)
        smile = self.calibration.flags(measurements)["smile"]
        return Reading(tags, measurements, bool(smile), photo_seed(image), left_out)

    def tags_of(self, measurements):
        """`(tags, left_out)` of the readers' `Measurements`: the tags to draw, and those read but left out."""
        tags = self.calibration.tags(measurements, self.vocabulary)
        return [t for t in tags if t not in self.leave_out], [t for t in tags if t in self.leave_out]

    def merge_tags(self, read_tags, override=None):
        """`read_tags` with the user's `override` tags put over them (`merge_tags`)."""
        return merge_tags(self.vocabulary, read_tags, override)

    # ------------------------------------------------------------------ drawing
    def candidate_seeds(self, seed):
        """The seeds tried: `seed` first, then `candidates - 1` seeds made from it."""
        return avatar_check.candidate_seeds(seed, self.candidates)

    def wanted(self, tags, smile=None, dark_glasses=None, bald=False):
        """What a drawn avatar of `tags` must show, `{reading: True or False}` (`check.wanted`; without `check`,
        only the expression)."""
        return avatar_check.wanted(self.avatar_reader, tags, smile, dark_glasses, bald, full=self.check)

    def choose(self, tags, seed, wants):
        """`(avatar, Choice)`: the first candidate's avatar that shows every `wants` (`wanted`), or, when none
        does, the one the avatar reader finds closest (`check.choose`)."""
        seeds = self.candidate_seeds(seed) if wants else [int(seed)]
        weights = avatar_check.GLASSES_WEIGHTS if wants and self.check and "glasses" in tags else (1.0,)
        return avatar_check.choose(self.generator, self.avatar_reader, list(tags), seeds, wants, weights)

    def draw(self, tags, seed, smile=None, dark_glasses=False, bald=False):
        """The avatar (uint8 (S, S, 3)) of `tags` and `seed`: with an avatar reader, the first of the candidate
        seeds' avatars that shows what `wanted` asks (the expression, when `smile` is True or False; with
        `check`, glasses as the tags say (clear frames unless `dark_glasses`) and hair on the head)."""
        return self.choose(tags, seed, self.wanted(tags, smile, dark_glasses, bald))[0]

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
        avatar, chosen, smile, _ = self.render_choice(reading, seed, tags)
        return avatar, chosen, smile

    def render_choice(self, reading, seed=None, tags=None):
        """`render`'s `(avatar, tags, expression)`, then the `Choice` of the seed drawn."""
        chosen = self.merge_tags(reading.tags, tags)
        smile = self.expression(reading, tags)
        flags = self.calibration.flags(reading.measurements)
        bald = None if reading.measurements.hair_found < self.calibration.settings["hair_found"] else False
        wants = self.wanted(chosen, smile, flags["dark_glasses"], bald)  # asked-for glasses: clear, unless dark lenses
        avatar, choice = self.choose(chosen, reading.seed if seed is None else seed, wants)
        return avatar, chosen, smile, choice

    def expression(self, reading, tags=None):
        """The expression to draw: `smile` / `no_smile` from `tags`, else the photo's with `match_smile`, else None
        (the seed's own)."""
        _, smile = split_expression(tags)
        if smile is None and self.match_smile:
            smile = reading.smile
        return smile


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


def merge_tags(vocabulary, read_tags, override=None):
    """`read_tags` with the user's `override` tags put over them, group by group (flags are added).

    `"no_glasses"` / `"no_mustache"` (any `no_<flag>`) turn a read flag off; `smile` / `no_smile`
    are the expression's (see `__call__`), not tags, and are left out here.
    """
    override, _ = split_expression(override)
    if not override:
        return list(read_tags)
    off = {t[3:] for t in override if t.startswith("no_") and t[3:] in vocabulary.flags}
    given = vocabulary.parse([t for t in override if not (t.startswith("no_") and t[3:] in off)])
    groups = {vocabulary.groups[vocabulary.index[t]] for t in given} - {"flag"}
    kept = [t for t in read_tags if t not in off
            and (vocabulary.groups[vocabulary.index[t]] not in groups)]
    return sorted(set(kept) | set(given), key=vocabulary.index.get)


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
