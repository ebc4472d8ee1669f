"""The demo's numpy core: `Demo` (generate, tags, interpolate, translate) and `MakeMyAvatar`, no Gradio."""

import math
import os
import tempfile
import threading
import zipfile

import numpy as np

from keras_animegan.utils.resize import resize_longer_side
from keras_animegan.utils.versions import version_number

from keras_animegan.demo.uploads import DemoError
from keras_animegan.demo.uploads import _int
from keras_animegan.demo.uploads import read_photo


#: Most avatars per Generate call, and most steps of an interpolation strip.
MAX_COUNT, MAX_STEPS = 256, 16
#: The avatar sizes the Generate, Tags and Make my avatar tabs offer: the generators' own, and through the upscaler.
SIZES = (64, 256)
#: Side of each half of the Translate output (the translators run at their own size inside).
DISPLAY_SIZE = 256
#: Zips of generated PNGs kept on disk at once (the oldest is deleted first).
MAX_ZIPS = 16
DEFAULT_PRESETS = ("dcgan_avatars_64", "dcgan_tagged_avatars_64", "cartoongan_photo2anime", "cyclegan_faces2avatars_64",
                   "photo2avatar_64")
#: The Tags tab's choice for "draw this group from the training set".
ANY = "(any)"
#: The Make my avatar tab's expression control, beside the flags.
SMILE = "smile"


class MakeMyAvatar:
    """The Make my avatar tab's work, numpy in and out (a part of `Demo`: its `avatar_maker` and lock)."""

    def _need_avatar_maker(self):
        if self.avatar_maker is None:
            raise DemoError("This demo was started without a photo-to-avatar preset: start it with --preset "
                            "photo2avatar_64.")
        return self.avatar_maker

    def avatar_controls(self):
        """`({group: [tags...]}, [flags])` the Make my avatar tab offers (the pipeline generator's vocabulary)."""
        vocabulary = self._need_avatar_maker().vocabulary
        return {g: sorted(vocabulary.group_tags(g)) for g in vocabulary.group_names}, list(vocabulary.flags) + [SMILE]

    def make_avatar(self, photo, size=None):
        """A photo -> `(photo beside its avatar, {group: tag read}, [flags read], seed, summary)`.

        The summary says what was read, smile included; `smile` is among the flags when the avatar was drawn smiling.
        `size` is the avatar's side (None: the generator's own, 64; 256: through the upscaler).
        """
        from keras_animegan.photo2avatar import NoFaceError

        maker = self._need_avatar_maker()
        small = photo_array(photo)
        try:
            with self._lock:
                reading = maker.read(small)
                avatar, _, smile = maker.render(reading)
                avatar = self.sized(avatar, size)
        except NoFaceError:
            raise DemoError("No face found in the photo: use a photo with a clear, frontal face.") from None
        vocabulary = maker.vocabulary
        groups = {vocabulary.groups[vocabulary.index[t]]: t for t in reading.tags
                  if vocabulary.groups[vocabulary.index[t]] != "flag"}
        flags = [t for t in reading.tags if t in vocabulary.flags] + ([SMILE] if smile else [])
        summary = "Read: " + ", ".join(reading.tags) + (", smiling" if reading.smile else ", not smiling") + (
            "" if smile is not None else " (tick smile to draw the avatar smiling)") + (
            f"; read but not drawn: {', '.join(reading.left_out)} (tick it to draw it)" if reading.left_out else "")
        side = resize_longer_side(small, DISPLAY_SIZE)
        return (np.concatenate([_square(side, DISPLAY_SIZE), _enlarge(avatar, DISPLAY_SIZE)], axis=1), groups,
                flags, reading.seed, summary)

    def redraw_avatar(self, seed, *values, size=None):
        """The avatar of the tab's controls: `seed`, one tag per group (in `avatar_controls` order), then the flags."""
        maker = self._need_avatar_maker()
        seed = _int(seed, "Seed", 0, 2**32 - 1)
        groups = list(maker.vocabulary.group_names)
        flags = [f for f in (values[len(groups)] or []) if f]
        tags = [t for t in values[:len(groups)] if t and t != ANY] + [f for f in flags if f != SMILE]
        try:
            tags = maker.vocabulary.parse(tags)
        except ValueError as error:
            raise DemoError(str(error)) from None
        smile = True if SMILE in flags else (False if maker.match_smile else None)
        with self._lock:
            avatar = self.sized(maker.draw(tags, seed, smile), size)
        return _enlarge(avatar, DISPLAY_SIZE)

    def sized(self, images, size):
        """uint8 avatars (one or a batch) at `size` px: None or the generator's own size as they are, larger through
        the upscaler (call it holding the lock: it runs the model)."""
        from keras_animegan.inference import UserError

        if size is None:
            return images
        size = _int(size, "Size", min(SIZES), max(SIZES))
        if images.shape[-2] == size:
            return images
        try:
            return self.resizer.resize(images, size)
        except UserError as error:
            raise DemoError(str(error)) from None


class Demo(MakeMyAvatar):
    """What the tabs do, on loaded models (`inference.Generator`s): numpy in, numpy out.

    Args:
        generator: a noise -> image `Generator` (DCGAN), or None (Generate and Interpolate then say so).
        translators: `{label: Generator}` of image -> image models, in the order the page lists them.
        work_dir: where the zips of generated PNGs go (a fresh temporary folder by default).
        tagged: a tags -> image `Generator` (TaggedDCGAN), or None (the Tags tab then says so).
        avatar_maker: a `keras_animegan.photo2avatar.Photo2Avatar`, or None (no Make my avatar tab).
        upscaler: what grows avatars to 256 px (an `inference.Resizer` spec: an upscaler preset or export,
            `"none"` for plain resizing; None: the shipped `upscaler_avatars_x4`, loaded on first use).
    """

    def __init__(self, generator=None, translators=None, work_dir=None, tagged=None, avatar_maker=None,
                 upscaler=None):
        from keras_animegan.inference import Resizer

        self.resizer = Resizer(upscaler)
        self.generator = generator
        self.tagged = tagged
        self.avatar_maker = avatar_maker
        self.translators = dict(translators or {})
        self.work_dir = work_dir or tempfile.mkdtemp(prefix="keras_animegan_demo_")
        self._mesh = None
        self._lock = threading.Lock()  # one TF call and one face-mesh call at a time

    # ---------------------------------------------------------------- loading
    @classmethod
    def load(cls, presets=None, models=None, upscaler=None):
        """The demo on shipped/own presets (names or folders) and exports or `.keras` files.

        With neither given, the shipped presets of `DEFAULT_PRESETS` that are installed.
        """
        from keras_animegan.inference import Generator
        from keras_animegan.inference import UserError
        from keras_animegan.photo2avatar.pipeline import is_pipeline_preset
        from keras_animegan.presets import list_presets

        if not presets and not models:
            shipped = list_presets()
            presets = [name for name in DEFAULT_PRESETS if name in shipped]
        generator, tagged, translators, avatar_maker = None, None, {}, None
        sources = [("--preset", p) for p in presets or ()] + [("--model", m) for m in models or ()]
        for flag, source in sources:
            if flag == "--preset" and is_pipeline_preset(source):
                if avatar_maker is not None:
                    raise DemoError(f"--preset {source!r}: the demo takes one photo-to-avatar preset.")
                from keras_animegan.photo2avatar import Photo2Avatar

                try:
                    avatar_maker = Photo2Avatar.from_preset(source)
                except ValueError as error:
                    raise DemoError(f"--preset: {error}") from None
                continue
            try:
                model = Generator(preset=source) if flag == "--preset" else Generator(source)
            except UserError as error:  # its message names the preset or the model file
                raise DemoError(str(error)) from None
            if model.kind == "tags":
                if tagged is not None:
                    raise DemoError(f"{flag} {source!r}: the demo takes one tagged generator; "
                                    f"{tagged.path!r} is already it.")
                tagged = model
            elif model.kind == "noise":
                if generator is not None:
                    raise DemoError(f"{flag} {source!r}: the demo takes one generator (DCGAN); "
                                    f"{generator.path!r} is already it.")
                generator = model
            else:
                translators[cls._label(model, source, translators)] = model
        if generator is None and tagged is None and not translators and avatar_maker is None:
            raise DemoError("No model to show: give --preset NAME or --model PATH.")
        return cls(generator, translators, tagged=tagged, avatar_maker=avatar_maker, upscaler=upscaler)

    @staticmethod
    def _label(model, source, taken):
        """The class name of a preset or `.keras` model, the model folder's name of an export."""
        path = os.path.normpath(os.fspath(source))
        name = os.path.basename(path)
        if version_number(name) is not None:  # a version folder: name it by its model folder
            name = os.path.basename(os.path.dirname(path))
        label = type(model.model).__name__ if model.model is not None else name
        return f"{label} ({name})" if label in taken else label

    def warm_up(self):
        """Traces every model once at the shapes the page uses, so the first click is fast."""
        if self.generator is not None:
            self.generate(0, 64, 1.0, write_zip=False)
            self.interpolate(0, 1, 8)
        if self.tagged is not None:
            self.generate_tagged(0, 16)
        blank = np.full((DISPLAY_SIZE, DISPLAY_SIZE, 3), 128, np.uint8)
        for label in self.translators:
            self._translate_array(label, blank)
        if self.translators:
            self._face_mesh()(blank)
        if self.avatar_maker is not None:
            self.redraw_avatar(0, *[ANY] * len(self.avatar_maker.vocabulary.group_names), [])

    def _face_mesh(self):
        if self._mesh is None:
            from keras_animegan.landmarks import FaceMesh

            self._mesh = FaceMesh()
        return self._mesh

    # ------------------------------------------------------------------- tabs
    def _need_generator(self):
        if self.generator is None:
            raise DemoError("This demo was started without a generator: start it with --preset dcgan_avatars_64 "
                            "or --model <a DCGAN export or .keras file>.")
        return self.generator

    def generate(self, seed, count, truncation=1.0, write_zip=True, size=None):
        """`count` avatars from `seed`, noise scaled by `truncation` psi, at `size` px (None: the generator's own):
        (grid uint8, zip path or None).

        psi = 1 samples the training distribution; smaller psi trades variety for typical, cleaner
        faces (the truncation trick: for a DCGAN, whose noise has mean 0, it is z -> psi * z).
        """
        import keras

        from keras_animegan.utils.pixels import to_uint8
        from keras_animegan.visualization import make_grid

        generator = self._need_generator()
        seed = _int(seed, "Seed", 0, 2**32 - 1)
        count = _int(count, "Count", 1, MAX_COUNT)
        try:
            psi = float(truncation)
        except (TypeError, ValueError):
            raise DemoError(f"Truncation must be a number from 0 to 2; got {truncation!r}.") from None
        if not 0.0 <= psi <= 2.0:
            raise DemoError(f"Truncation must be a number from 0 to 2; got {truncation!r}.")
        noise = psi * generator.noise(seed, count)
        with self._lock:
            images = self.sized(keras.ops.convert_to_numpy(to_uint8(generator(noise))), size)
        grid = make_grid(images, math.ceil(math.sqrt(count)))
        return grid, (self._zip(images, f"avatars_seed{seed}_n{count}_psi{psi:g}") if write_zip else None)

    def tag_choices(self):
        """`{group: [ANY, tags...]}` of the tagged generator's exclusive groups, and its flags: what the tab offers."""
        vocabulary = self.tagged.tag_vocabulary
        groups = {g: [ANY] + sorted(vocabulary.group_tags(g)) for g in vocabulary.group_names}
        return groups, list(vocabulary.flags)

    def generate_tagged(self, seed, count, groups=None, flags=(), keep_face=True, size=None):
        """`count` avatars showing the picked tags: `(grid uint8, the seed used, the tags asked for)`.

        `groups` maps a group to a tag or `ANY` (drawn from the training set), `flags` lists the flags
        that are on (the others are off). With `keep_face` the seed is used as given, so the same faces
        come back with the new tags; without it, a new seed is drawn.
        """
        import keras

        from keras_animegan.inference import UserError
        from keras_animegan.utils.pixels import to_uint8
        from keras_animegan.visualization import make_grid

        if self.tagged is None:
            raise DemoError("This demo was started without a tagged generator: start it with --preset "
                            "dcgan_tagged_avatars_64 or --model <a TaggedDCGAN export or .keras file>.")
        seed = _int(seed, "Seed", 0, 2**32 - 1)
        count = _int(count, "Count", 1, MAX_COUNT)
        if not keep_face:
            seed = int(np.random.default_rng().integers(0, 2**31 - 1))
        tags = [t for t in (groups or {}).values() if t and t != ANY] + [f for f in (flags or ()) if f]
        try:
            inputs = self.tagged.inputs(seed, count, tags)
        except UserError as error:
            raise DemoError(str(error).replace("--tags: ", "")) from None
        with self._lock:
            images = self.sized(keras.ops.convert_to_numpy(to_uint8(self.tagged(inputs))), size)
        return make_grid(images, math.ceil(math.sqrt(count))), seed, ", ".join(sorted(tags)) or "(all drawn)"

    def _zip(self, images, stem):
        import io

        from PIL import Image

        path = os.path.join(self.work_dir, stem + ".zip")
        from keras_animegan.utils import safe_files

        with safe_files.replacing(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
            for i, image in enumerate(images):  # PNGs are compressed already
                buffer = io.BytesIO()
                Image.fromarray(image).save(buffer, format="PNG")
                archive.writestr(f"{stem}/avatar_{i:03d}.png", buffer.getvalue())
        zips = sorted((os.path.join(self.work_dir, n) for n in os.listdir(self.work_dir) if n.endswith(".zip")),
                      key=os.path.getmtime)
        for old in zips[:-MAX_ZIPS]:
            if old != path:
                os.remove(old)
        return path

    def interpolate(self, seed_a, seed_b, steps):
        """The slerp strip from seed A's avatar to seed B's in `steps` images (the report's Fig. 6b)."""
        import keras

        from keras_animegan.utils.pixels import to_uint8
        from keras_animegan.visualization import make_grid
        from keras_animegan.visualization import slerp

        generator = self._need_generator()
        seed_a = _int(seed_a, "Seed A", 0, 2**32 - 1)
        seed_b = _int(seed_b, "Seed B", 0, 2**32 - 1)
        steps = _int(steps, "Steps", 2, MAX_STEPS)
        a, b = generator.noise(seed_a, 1)[0], generator.noise(seed_b, 1)[0]
        noise = slerp(a, b, np.linspace(0.0, 1.0, steps))
        with self._lock:
            images = keras.ops.convert_to_numpy(to_uint8(generator(noise)))
        return make_grid(images, steps)

    def _translate_array(self, label, image):
        with self._lock:
            return self.translators[label].translate_image(image)

    def translate(self, photo, translator=None, crop=True):
        """(cropped input beside its translation, face-mesh overlay or None) for a photo.

        `photo` is a file path (checked by `read_photo`) or a uint8 RGB array. With `crop`, the face
        is found with the face mesh and cropped square, eyes level (as `translate --crop_faces`);
        without a face that is an error, not a silent center crop. Each half is `DISPLAY_SIZE` on
        its long side.
        """
        if not self.translators:
            raise DemoError("This demo was started without a translator: start it with "
                            "--preset cyclegan_faces2avatars_64 or --model <a CycleGAN/CartoonGAN export or "
                            ".keras file>.")
        if photo is None:
            raise DemoError("Upload a photo (or take one with the webcam) first.")
        label = translator or next(iter(self.translators))
        if label not in self.translators:
            raise DemoError(f"Unknown translator {label!r}; this demo has: {', '.join(self.translators)}.")
        small = photo_array(photo)
        overlay = None
        if crop:
            from keras_animegan.landmarks import crop_face

            with self._lock:
                result = self._face_mesh()(small)
            if not result.found:
                raise DemoError("No face found in the photo. Turn 'Crop to the face' off to translate the whole "
                                "image, or use a photo with a clear, frontal face.")
            source = crop_face(small, result, size=DISPLAY_SIZE)
            overlay = _overlay(source, result, small.shape)
        else:
            source = resize_longer_side(small, DISPLAY_SIZE)
        translated = self._translate_array(label, source)
        return np.concatenate([source, translated], axis=1), overlay


def photo_array(photo):
    """A tab's photo (a path, checked by `read_photo`, or a uint8 RGB array) as uint8 RGB, its long side at most
    4 x `DISPLAY_SIZE` (the networks work at 64-256 px: shrinking big photos first bounds time and memory)."""
    if photo is None:
        raise DemoError("Upload a photo (or take one with the webcam) first.")
    image = read_photo(photo) if isinstance(photo, (str, os.PathLike)) else np.asarray(photo, np.uint8)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise DemoError(f"Expected an RGB image; got an array of shape {image.shape}.")
    return resize_longer_side(image, 4 * DISPLAY_SIZE) if max(image.shape[:2]) > 4 * DISPLAY_SIZE else image


def _overlay(crop, result, shape):
    """The face crop with the face mesh's 468 landmarks (mapped into the crop) drawn on it."""
    import cv2

    from keras_animegan.landmarks import crop_transform

    matrix, _ = crop_transform(result, shape[1], shape[0], size=crop.shape[0])
    points = result.pixels(shape[1], shape[0]) @ matrix[:, :2].T + matrix[:, 2]
    dots = crop.copy()
    for x, y in points.round().astype(int):
        cv2.circle(dots, (int(x), int(y)), 1, (40, 255, 40), -1, lineType=cv2.LINE_AA)
    return cv2.addWeighted(dots, 0.75, crop, 0.25, 0.0)


def _enlarge(image, size):
    """A small avatar shown at `size` px (nearest neighbour: the pixels stay crisp)."""
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize((size, size), Image.NEAREST))


def _square(image, size):
    """`image` (long side `size`) centered on a `size` square of white."""
    out = np.full((size, size, 3), 255, np.uint8)
    h, w = image.shape[:2]
    y, x = (size - h) // 2, (size - w) // 2
    out[y:y + h, x:x + w] = image[:size, :size]
    return out
