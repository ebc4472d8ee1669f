"""Small real image sets shipped with the package as the trainers' embedded defaults.

See ATTRIBUTION.md in this folder for their sources and licenses.
"""

import importlib.resources


def _path(name):
    path = importlib.resources.files(__name__).joinpath(name)
    if not path.is_file():
        raise FileNotFoundError(f"Embedded dataset {name!r} is missing from the installed package at {path}.")
    return str(path)


def anime_avatars_64():
    """Path of the embedded 2,000 anime avatars (64x64 PNG zip, CC BY 4.0, DiceBear 'adventurer')."""
    return _path("anime_avatars_64.zip")


def anime_avatars_64_tags():
    """Path of the embedded avatars' `tags.csv`: Danbooru-style tags read from DiceBear's options for each seed
    (`benchmarks/standin_data/render.mjs tags`; the table is in ATTRIBUTION.md)."""
    return _path("anime_avatars_64_tags.csv")


def cartoon_faces_64():
    """Path of the embedded 1,000 cartoon faces (64x64 PNG zip, Apache-2.0, facesjs): the demo photo domain."""
    return _path("cartoon_faces_64.zip")


def demo_photos():
    """Paths of the example photos of `keras-animegan demo`'s Translate tab: NASA's public-domain astronaut portrait
    (Eileen Collins, from scikit-image's data), 256 px."""
    return [_path("demo_photos/astronaut.png")]


def demo_faces():
    """Paths of the 4 held-out cartoon faces shown as examples in `keras-animegan demo` (Apache-2.0, facesjs)."""
    return [_path(f"demo_faces/facesjs_{n}.png") for n in ("05003", "05006", "05032", "05034")]
