"""`keras-animegan demo`: the models in the browser (Gradio), offline, with a scriptable API.

    keras-animegan demo                                   # the shipped presets, http://127.0.0.1:7860
    keras-animegan demo --preset dcgan_avatars_64 --model runs/cyclegan/cyclegan.keras
    python -m keras_animegan demo --host 0.0.0.0 --port 8080

Five tabs, each also a named API endpoint for `gradio_client`:

- Generate (`/generate`): seed, count and truncation psi -> a grid of avatars and a zip of the PNGs;
- Tags (`/tags`, with a tagged generator such as `dcgan_tagged_avatars_64`): hair colour, skin, hair
  length and flags -> a grid of avatars that show them; "Keep the face" holds the seed while the tags
  change, otherwise each click draws new faces;
- Interpolate (`/interpolate`): two seeds and a step count -> the spherical interpolation strip;
- Translate (`/translate`): a photo, a translator and face crop on/off -> the cropped input beside its
  translation, and the face-mesh overlay when crop is on;
- Make my avatar (`/make_avatar`, `/redraw_avatar`, with a photo-to-avatar preset such as `photo2avatar_64`):
  a photo (upload or webcam) -> the person's avatar and the tags read off the photo, as controls to change
  before drawing again.

Needs the `demo` extra (`pip install "keras-animegan[demo]"`, or `pip install ".[demo]"` from a clone). Gradio's analytics and version check
are off and nothing is fetched from the internet. Bad input (a file that is not an image, an image
over `MAX_PIXELS`, a photo without a face while crop is on) is a message in the page, not a stack
trace, and the server stays up; uploads are capped at `--max_file_size` and work files are bounded.

The core (`Demo`) has no Gradio in it: `Demo.generate`, `.interpolate` and `.translate` take and
return numpy arrays, and raise `DemoError` with the message the page shows.
"""

import argparse
import functools
import math
import os
import sys
import tempfile
import threading
import zipfile

import numpy as np

from keras_animegan.utils.image_size import DEFAULT_MAX_PIXELS
from keras_animegan.utils.image_size import ImageTooLargeError
from keras_animegan.utils.image_size import check_image_size
from keras_animegan.utils.resize import resize_longer_side

# Read by gradio and huggingface_hub when they are imported: no telemetry, no version check.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

#: Largest photo the Translate tab decodes (pixels, from its header): the serving signature's bound.
MAX_PIXELS = DEFAULT_MAX_PIXELS
#: Largest upload, in bytes (Gradio refuses bigger ones before they reach the app).
MAX_FILE_SIZE = 32 * 1024 * 1024
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


class DemoError(ValueError):
    """Bad input to the demo: its message is what the page (and a `gradio_client` caller) is shown."""


def _int(value, name, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DemoError(f"{name} must be a whole number; got {value!r}.") from None
    if not number.is_integer() or not low <= number <= high:
        raise DemoError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    return int(number)


def unreadable(name, error, max_pixels=MAX_PIXELS):
    """The `DemoError` for a file Pillow refused: a header over its size limit, or not an image at all.

    Names the file and the kind of failure only (Pillow's message holds the server's temporary path)."""
    from PIL import Image

    if isinstance(error, Image.DecompressionBombError):
        return DemoError(f"{name} is over the limit of {max_pixels:,} pixels; scale it down first.")
    return DemoError(f"{name} is not an image Pillow can read (PNG, JPEG, WebP, BMP, GIF): {type(error).__name__}.")


def read_photo(path, max_pixels=MAX_PIXELS):
    """An uploaded file as uint8 RGB, or `DemoError` naming it: not an image, or over `max_pixels`.

    The size is read from the headers (every frame's) before anything is decoded, so a huge image costs
    no memory.
    """
    from PIL import Image

    from keras_animegan.utils.decoding import read_image_file

    name = os.path.basename(os.fspath(path))
    try:
        return read_image_file(path, max_pixels=max_pixels, name=name)
    except ImageTooLargeError as error:
        raise DemoError(str(error)) from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise unreadable(name, error, max_pixels) from None


def check_upload(path, name, max_pixels=MAX_PIXELS):
    """Raises `DemoError` for an uploaded file over `max_pixels` (read from its headers), before Gradio decodes it."""
    try:
        with open(path, "rb") as f:
            check_image_size(f.read(), max_pixels, name)
    except ImageTooLargeError as error:
        raise DemoError(str(error)) from None
    except (OSError, ValueError) as error:
        raise unreadable(name, error, max_pixels) from None


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
            "" if smile is not None else " (tick smile to draw the avatar smiling)")
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
        if name.isdigit():  # a version folder: name it by its model folder
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


# ---------------------------------------------------------------------- the page
def _gradio():
    try:
        import gradio as gr
    except ImportError as error:
        raise DemoError(f"The demo needs Gradio ({error}): pip install \"keras-animegan[demo]\", or pip install \".[demo]\" from a clone.") from None
    return gr


def build_app(demo):
    """The Gradio `Blocks` page of `demo`: three tabs, endpoints /generate, /interpolate, /translate."""
    gr = _gradio()

    def page_errors(function):
        @functools.wraps(function)  # keeps the parameter names that gradio_client shows
        def wrapped(*args):
            try:
                return function(*args)
            except DemoError as error:
                raise _page_error(gr, error) from None

        return wrapped

    @page_errors
    def generate(seed, count, truncation, size=SIZES[0]):
        """Generates `count` avatars from `seed` at `size` px; returns the grid (PNG) and a zip of the PNGs."""
        return demo.generate(seed, count, truncation, size=size)

    @page_errors
    def interpolate(seed_a, seed_b, steps):
        """Returns the spherical interpolation strip from seed A's avatar to seed B's."""
        return demo.interpolate(seed_a, seed_b, steps)

    @page_errors
    def translate(photo, translator, crop):
        """Returns the (cropped) input beside its translation, and the face-mesh overlay when cropping."""
        return demo.translate(photo, translator, crop)

    has_generator = demo.generator is not None
    with gr.Blocks(title="keras-animegan", analytics_enabled=False, delete_cache=(600, 3600)) as app:
        gr.Markdown("# keras-animegan\nAnime avatars from noise and from face photos. Loaded: " + ", ".join(
                        ([f"`{demo.generator.path}`"] if has_generator else [])
                        + [f"{label} (`{m.path}`)" for label, m in demo.translators.items()]
                        + ([f"Photo2Avatar (`{demo.avatar_maker.generator_preset}`)"] if demo.avatar_maker else []))
                    + ".")
        _generate_tab(gr, generate)
        if demo.tagged is not None:
            _tags_tab(gr, demo)
        _interpolate_tab(gr, interpolate)
        photo = _translate_tab(gr, translate, list(demo.translators))
        selfie = _avatar_tab(gr, demo) if demo.avatar_maker is not None else None
    _guard_upload(photo, gr)
    if selfie is not None:
        _guard_upload(selfie, gr)
    app.queue(max_size=32, default_concurrency_limit=1)
    return app


def _generate_tab(gr, generate):
    with gr.Tab("Generate"):
        with gr.Row():
            with gr.Column(scale=1):
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=2**32 - 1)
                count = gr.Slider(1, MAX_COUNT, 64, step=1, label="Count")
                psi = gr.Slider(0.0, 2.0, 1.0, step=0.05, label="Truncation ψ (noise scale: lower is "
                                "more typical, less varied)")
                size = _size_choice(gr, "generate-size")
                button = gr.Button("Generate", variant="primary", elem_id="generate-button")
            with gr.Column(scale=2):
                grid = gr.Image(label="Avatars", type="numpy", format="png", interactive=False,
                                elem_id="generate-output")
                download = gr.File(label="PNGs (zip)", interactive=False)
        button.click(generate, [seed, count, psi, size], [grid, download], api_name="generate")


def _tags_tab(gr, demo):
    groups, flags = demo.tag_choices()

    def tags(seed, count, keep_face, *values):
        """Avatars showing the picked hair colour, skin, hair length and flags, at the picked size; returns the
        grid and the seed."""
        picked = dict(zip(groups, values[:len(groups)]))
        size = values[len(groups) + 1] if len(values) > len(groups) + 1 else SIZES[0]
        try:
            grid, seed, _ = demo.generate_tagged(seed, count, picked, values[len(groups)], keep_face, size=size)
        except DemoError as error:
            raise _page_error(gr, error) from None
        return grid, seed

    with gr.Tab("Tags"):
        with gr.Row():
            with gr.Column(scale=1):
                pickers = [gr.Dropdown(choices, value=ANY, label=group.replace("_", " ").capitalize(),
                                       elem_id=f"tags-{group}") for group, choices in groups.items()]
                on = gr.CheckboxGroup(flags, value=[], label="Flags (unticked: off)", elem_id="tags-flags")
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=2**32 - 1, elem_id="tags-seed")
                keep = gr.Checkbox(True, label="Keep the face (hold the seed while the tags change)",
                                   elem_id="tags-keep")
                count = gr.Slider(1, MAX_COUNT, 16, step=1, label="Count")
                size = _size_choice(gr, "tags-size")
                button = gr.Button("Generate", variant="primary", elem_id="tags-button")
            with gr.Column(scale=2):
                grid = gr.Image(label="Avatars", type="numpy", format="png", interactive=False,
                                elem_id="tags-output")
        button.click(tags, [seed, count, keep, *pickers, on, size], [grid, seed], api_name="tags")


def _interpolate_tab(gr, interpolate):
    with gr.Tab("Interpolate"):
        with gr.Row():
            seed_a = gr.Number(0, label="Seed A", precision=0, minimum=0, maximum=2**32 - 1)
            seed_b = gr.Number(1, label="Seed B", precision=0, minimum=0, maximum=2**32 - 1)
            steps = gr.Slider(2, MAX_STEPS, 8, step=1, label="Steps")
        button = gr.Button("Interpolate", variant="primary", elem_id="interpolate-button")
        strip = gr.Image(label="Spherical interpolation", type="numpy", format="png", interactive=False,
                         elem_id="interpolate-output")
        button.click(interpolate, [seed_a, seed_b, steps], strip, api_name="interpolate")


def _translate_tab(gr, translate, choices):
    """The Translate tab; returns its photo input (the upload guard watches it)."""
    with gr.Tab("Translate"):
        with gr.Row():
            with gr.Column(scale=1):
                photo = gr.Image(label="Photo", type="filepath", sources=["upload", "webcam", "clipboard"],
                                 elem_id="translate-input")
                translator = gr.Radio(choices, value=choices[0] if choices else None, label="Translator")
                crop = gr.Checkbox(True, label="Crop to the face (MediaPipe face mesh)")
                button = gr.Button("Translate", variant="primary", elem_id="translate-button")
            with gr.Column(scale=2):
                result = gr.Image(label="Input | translation", type="numpy", format="png", interactive=False,
                                  elem_id="translate-output")
                overlay = gr.Image(label="Face-mesh landmarks", type="numpy", format="png", interactive=False)
        if choices:
            from keras_animegan.data.embedded import demo_faces
            from keras_animegan.data.embedded import demo_photos

            gr.Examples([[p, choices[0], False] for p in demo_photos() + demo_faces()], [photo, translator, crop],
                        label="A public-domain photo (NASA) and held-out cartoon faces (not seen in training)")
        button.click(translate, [photo, translator, crop], [result, overlay], api_name="translate")
    return photo


def _avatar_tab(gr, demo):
    """The Make my avatar tab; returns its photo input (the upload guard watches it)."""
    groups, flags = demo.avatar_controls()

    def make(photo, size=SIZES[0]):
        """Reads a photo: its avatar (at the picked size), then the tags read (one per group, the flags), the seed
        and a summary."""
        try:
            pair, read, on, seed, summary = demo.make_avatar(photo, size)
        except DemoError as error:
            raise _page_error(gr, error) from None
        return (pair, *[read.get(g) for g in groups], on, seed, summary)

    def redraw(seed, *values):
        """Draws the avatar of the controls (tags, seed and size) again."""
        size = values[len(groups) + 1] if len(values) > len(groups) + 1 else SIZES[0]
        try:
            return demo.redraw_avatar(seed, *values[:len(groups) + 1], size=size)
        except DemoError as error:
            raise _page_error(gr, error) from None

    with gr.Tab("Make my avatar"):
        with gr.Row():
            with gr.Column(scale=1):
                photo = gr.Image(label="Your photo", type="filepath", sources=["upload", "webcam", "clipboard"],
                                 elem_id="avatar-input")
                size = _size_choice(gr, "avatar-size")
                button = gr.Button("Make my avatar", variant="primary", elem_id="avatar-button")
                summary = gr.Markdown(elem_id="avatar-summary")
            with gr.Column(scale=2):
                pair = gr.Image(label="Photo | avatar", type="numpy", format="png", interactive=False,
                                elem_id="avatar-output")
        with gr.Row():
            pickers = [gr.Dropdown(choices, value=None, label=group.replace("_", " ").capitalize(),
                                   elem_id=f"avatar-{group}") for group, choices in groups.items()]
            on = gr.CheckboxGroup(flags, value=[], label="Flags and expression", elem_id="avatar-flags")
            seed = gr.Number(0, label="Seed (the photo's own; change it for another face)", precision=0,
                             minimum=0, maximum=2**32 - 1, elem_id="avatar-seed")
        again = gr.Button("Draw again with these tags", elem_id="avatar-again")
        redrawn = gr.Image(label="Avatar", type="numpy", format="png", interactive=False, elem_id="avatar-redrawn")
        from keras_animegan.data.embedded import demo_photos

        gr.Examples([[p] for p in demo_photos()], [photo], label="A public-domain photo (NASA)")
        button.click(make, [photo, size], [pair, *pickers, on, seed, summary], api_name="make_avatar")
        again.click(redraw, [seed, *pickers, on, size], redrawn, api_name="redraw_avatar")
    return photo


def _size_choice(gr, elem_id):
    """The avatar size choice: the generators' 64 px, or 256 px through the upscaler."""
    return gr.Radio(list(SIZES), value=SIZES[0], label="Size (px; 256 goes through the upscaler)", elem_id=elem_id)


def _page_error(gr, error):
    """`error`'s message alone, shown in the page (and to gradio_client) for 30 s, without a trace in the log."""
    return gr.Error(str(error), duration=30, print_exception=False)


def _guard_upload(component, gr):
    """A non-image upload fails in Gradio's own preprocessing (Pillow); make that the page's message."""
    preprocess = component.preprocess

    def checked(payload):
        path = getattr(payload, "path", None)
        name = getattr(payload, "orig_name", None) or os.path.basename(path or "") or "The upload"
        if path:  # Gradio decodes the upload in `preprocess`: check its size from the headers first
            try:
                check_upload(path, name)
            except DemoError as error:
                raise _page_error(gr, error) from None
        try:
            return preprocess(payload)
        except gr.Error:
            raise
        except Exception as error:  # noqa: BLE001 - Pillow raises several kinds for a bad file
            raise _page_error(gr, unreadable(name, error)) from None

    component.preprocess = checked


def launch(app, host="127.0.0.1", port=7860, block=True, max_file_size=MAX_FILE_SIZE):
    """Serves `app` (no share link, no analytics); returns the local URL."""
    app.launch(server_name=host, server_port=port, share=False, inbrowser=False, show_error=True, quiet=True,
               prevent_thread_lock=True, max_file_size=max_file_size, ssr_mode=False)
    url = app.local_url
    print(f"keras-animegan demo on {url}", flush=True)
    if block:
        app.block_thread()
    return url


def build_parser(parser=None):
    parser = parser or argparse.ArgumentParser(prog="keras-animegan demo", description=__doc__.split("\n")[0])
    parser.add_argument("--preset", action="append", default=None,
                        help="A preset name or folder (repeat for more). Default: the shipped presets "
                             f"({', '.join(DEFAULT_PRESETS)}), unless --model is given.")
    parser.add_argument("--model", action="append", default=None,
                        help="A SavedModel export or .keras file (repeat for more): one DCGAN and any translators.")
    parser.add_argument("--host", default="127.0.0.1", help="Interface to listen on (0.0.0.0: all).")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--max_file_size", type=int, default=MAX_FILE_SIZE, help="Largest upload in bytes.")
    parser.add_argument("--no_warm_up", action="store_true", help="Skip tracing the models before serving.")
    parser.add_argument("--upscaler", default=None,
                        help="What grows avatars to 256 px when that size is picked: an upscaler preset name or "
                             "folder, export or .keras file, or none (bicubic). Default: upscaler_avatars_x4.")
    return parser


def run(args):
    """`keras-animegan demo` with parsed `args`: load, warm up, serve until interrupted."""
    _gradio()  # fail before loading models when the extra is missing
    demo = Demo.load(args.preset, args.model, upscaler=args.upscaler)
    app = build_app(demo)
    if not args.no_warm_up:
        demo.warm_up()
    try:
        launch(app, args.host, args.port, max_file_size=args.max_file_size)
    except OSError as error:  # port taken, bad host
        raise DemoError(f"Cannot serve on {args.host}:{args.port}: {error}") from None
    except KeyboardInterrupt:
        app.close()
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except DemoError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
