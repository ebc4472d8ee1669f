"""From what the readers measured to the generator's tags: colours by a lighting calibration, flags by thresholds.

A photo is lit, an avatar is flat: the cheek of a face turned toward the camera
gets less light than a surface facing it, and a portrait is exposed below white,
so photo skin and hair read darker than the flat palette colour they stand for.
The calibration models that: a palette colour `c` is expected to appear in a photo
as `lighting * linear(c) + flare` (in linear RGB), and each measured colour is
given the tag whose expected photo lightness is closest, along the groups'
natural orders (CIELAB L*, not RGB distance). `lighting` (0.75: a cheek about 40
degrees from the camera axis, `cos 40 = 0.77`, in a face exposed just below
white) dims the flat colours; `flare` (default 0) can lift the darkest ones (the
sheen of hair, a lens's veiling glare), so that shiny black hair reads as black
rather than dark brown. Both are settings of the pipeline preset, from this
model, not fitted to any photo set.

Hair takes two more readings than lightness: hair with little colour (CIELAB
chroma under `grey_chroma`) that is lighter than mid-brown is grey, and hair whose
hue leans red (`a* >= red_ratio * b*`, chroma over `red_chroma`) is auburn or red
by lightness. The avatar set's unnatural colours (blue, green, pink, purple) are
never read off a photo; ask for them with tags.

Flags are thresholds on plain measurements, each in the measurement's own units
(see `readers.py`): glasses when the nose bridge has an edge of at least
`glasses_edge` L* per pixel; long hair when at least `long_hair_share` of the space
beside the jaw has the hair's colour; a mustache when the chin and upper lip are
`facial_hair_darker` L* darker than the cheeks; a smile when the mouth spans
`smile_width` of the face width (the generator has no smile tag: the pipeline picks
a seed whose avatar smiles); dark lenses when the eyes are `dark_lenses_darker` L*
darker than the cheeks (the pipeline then wants sunglasses on the avatar, else clear
frames). Where less than `hair_found` of the band above the forehead is unlike the
skin (a bald head), the pipeline does not insist on hair.
"""

import copy

import numpy as np

#: The DiceBear "adventurer" colours the avatar tags stand for (the dataset card lists all of them).
SKIN_PALETTE = {"pale_skin": "f2d3b1", "light_skin": "ecad80", "brown_skin": "9e5622", "dark_skin": "763900"}
#: The natural hair colours, dark to light along the brown axis.
HAIR_AXIS = {"black_hair": "0e0e0e", "dark_brown_hair": "562306", "brown_hair": "6a4e35",
             "ash_brown_hair": "796a45", "light_brown_hair": "b9a05f", "blonde_hair": "e5d7a3"}
HAIR_RED = {"red_hair": "ab2a18", "auburn_hair": "ac6511"}
HAIR_GREY = {"grey_hair": "afafaf"}

DEFAULT_SETTINGS = {
    "lighting": 0.75,
    "flare": 0.0,
    "grey_chroma": 9.0,
    "red_chroma": 24.0,
    "red_ratio": 1.0,
    "glasses_edge": 8.0,
    "long_hair_share": 0.5,
    "facial_hair_darker": 30.0,
    "smile_width": 0.42,
    "dark_lenses_darker": 50.0,
    "hair_found": 0.3,
}


def _linear(hex_colour):
    rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)], np.float64) / 255.0
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lightness(linear_rgb):
    """CIELAB L* of linear sRGB (D65)."""
    y = float(np.dot([0.2126, 0.7152, 0.0722], linear_rgb))
    return 116.0 * np.cbrt(y) - 16.0 if y > 216 / 24389 else y * 24389 / 27


def expected_lightness(hex_colour, lighting, flare=0.0):
    """The L* a flat palette colour is expected to read as in a photo: `lighting * linear(c) + flare`."""
    return _lightness(lighting * _linear(hex_colour) + flare)


def palette_lightness(hex_colour):
    """The L* of a palette colour as the avatar draws it (flat)."""
    return _lightness(_linear(hex_colour))


class Calibration:
    """Turns `Measurements` into tags of a vocabulary; `settings` as `DEFAULT_SETTINGS` (missing keys: defaults).

    >>> calibration = Calibration()
    >>> calibration.tags(measurements)   # ["brown_hair", "light_skin", "short_hair", "glasses"]
    """

    def __init__(self, settings=None):
        unknown = sorted(set(settings or {}) - set(DEFAULT_SETTINGS))
        if unknown:
            raise ValueError(f"Unknown reader setting(s) {', '.join(unknown)}; the settings are "
                             f"{', '.join(DEFAULT_SETTINGS)}.")
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        for key, value in self.settings.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ValueError(f"The reader setting {key} must be a number; got {value!r}.")
        lighting, flare = float(self.settings["lighting"]), float(self.settings["flare"])
        if not 0.05 <= lighting <= 1.5:
            raise ValueError(f"The reader setting lighting must be in [0.05, 1.5]; got {lighting!r}.")
        if not 0.0 <= flare <= 0.2:
            raise ValueError(f"The reader setting flare must be in [0, 0.2]; got {flare!r}.")
        self.skin_levels = {t: expected_lightness(c, lighting, flare) for t, c in SKIN_PALETTE.items()}
        self.hair_levels = {t: expected_lightness(c, lighting, flare) for t, c in HAIR_AXIS.items()}
        self.red_levels = {t: expected_lightness(c, lighting, flare) for t, c in HAIR_RED.items()}
        self.grey_level = expected_lightness(HAIR_GREY["grey_hair"], lighting, flare)

    def get_config(self):
        return copy.deepcopy(self.settings)

    @staticmethod
    def _closest(levels, value):
        return min(levels, key=lambda tag: abs(levels[tag] - value))

    def skin(self, lab):
        return self._closest(self.skin_levels, float(lab[0]))

    def hair(self, lab):
        lightness, a, b = (float(v) for v in lab)
        chroma = float(np.hypot(a, b))
        s = self.settings
        if chroma < s["grey_chroma"] and lightness > (self.hair_levels["brown_hair"] + self.grey_level) / 2:
            return "grey_hair"
        if chroma > s["red_chroma"] and a >= s["red_ratio"] * b:
            return self._closest(self.red_levels, lightness)
        return self._closest(self.hair_levels, lightness)

    def flags(self, measurements):
        s = self.settings
        return {
            "glasses": measurements.glasses >= s["glasses_edge"],
            "long_hair": measurements.long_hair >= s["long_hair_share"],
            "mustache": measurements.facial_hair >= s["facial_hair_darker"],
            "smile": measurements.smile >= s["smile_width"],
            "dark_glasses": measurements.lenses >= s["dark_lenses_darker"],
        }

    def tags(self, measurements, vocabulary=None):
        """The tags read from `measurements`, those of `vocabulary` only when given (smile has no tag)."""
        flags = self.flags(measurements)
        tags = [self.hair(measurements.hair_lab), self.skin(measurements.skin_lab),
                "long_hair" if flags["long_hair"] else "short_hair"]
        tags += [name for name in ("glasses", "mustache") if flags[name]]
        if vocabulary is not None:
            tags = [t for t in tags if t in vocabulary.index]
        return tags
