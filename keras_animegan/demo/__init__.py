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

import os

# Read by gradio and huggingface_hub when they are imported: no telemetry, no version check.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

# One concern per module: `uploads` (what the page takes in), `core` (the numpy `Demo`), `page` (the Gradio
# page and its server) and `cli` (the flags and the run).
from keras_animegan.demo.cli import build_parser  # noqa: E402
from keras_animegan.demo.cli import main  # noqa: E402
from keras_animegan.demo.cli import run  # noqa: E402
from keras_animegan.demo.core import ANY  # noqa: E402
from keras_animegan.demo.core import DEFAULT_PRESETS  # noqa: E402
from keras_animegan.demo.core import DISPLAY_SIZE  # noqa: E402
from keras_animegan.demo.core import MAX_COUNT  # noqa: E402
from keras_animegan.demo.core import MAX_STEPS  # noqa: E402
from keras_animegan.demo.core import MAX_ZIPS  # noqa: E402
from keras_animegan.demo.core import SIZES  # noqa: E402
from keras_animegan.demo.core import SMILE  # noqa: E402
from keras_animegan.demo.core import Demo  # noqa: E402
from keras_animegan.demo.core import MakeMyAvatar  # noqa: E402
from keras_animegan.demo.page import _gradio  # noqa: E402,F401 - the tests' page helpers
from keras_animegan.demo.page import _guard_upload  # noqa: E402,F401
from keras_animegan.demo.page import build_app  # noqa: E402
from keras_animegan.demo.page import launch  # noqa: E402
from keras_animegan.demo.uploads import MAX_FILE_SIZE  # noqa: E402
from keras_animegan.demo.uploads import MAX_PIXELS  # noqa: E402
from keras_animegan.demo.uploads import DemoError  # noqa: E402
from keras_animegan.demo.uploads import check_upload  # noqa: E402
from keras_animegan.demo.core import photo_array  # noqa: E402
from keras_animegan.demo.uploads import read_photo  # noqa: E402
from keras_animegan.demo.uploads import unreadable  # noqa: E402

__all__ = ["ANY", "DEFAULT_PRESETS", "DISPLAY_SIZE", "MAX_COUNT", "MAX_FILE_SIZE", "MAX_PIXELS", "MAX_STEPS", "MAX_ZIPS",
           "SIZES", "SMILE", "Demo", "DemoError", "MakeMyAvatar", "build_app", "build_parser", "check_upload", "launch",
           "main", "photo_array", "read_photo", "run", "unreadable"]
