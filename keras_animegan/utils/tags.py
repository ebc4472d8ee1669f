"""Danbooru-style tags: reading `tags.csv`, the vocabulary of a tagged set, and tag sets as vectors.

A `tags.csv` has one row per image: the file name, then its tags, as comma-separated cells or
space-separated in one cell (Danbooru's own way), or both:

    filename,tags
    adventurer_00001.png,blonde_hair light_skin short_hair glasses
    sub/b.png,black_hair,long_hair

A `TagVocabulary` is the tags of a set, in groups:

- exclusive groups: one value at most per image (`blue_hair` or `red_hair`, not both). Tags are
  grouped by the Danbooru naming rule: `*_hair` colours make `hair_color`, `*_skin` makes `skin`,
  `*_eyes` makes `eye_color`, and `short_hair` / `medium_hair` / `long_hair` / `very_long_hair` make
  `hair_length`. A group that some image has two values of is not exclusive: its tags become flags.
- flags: everything else (`glasses`, `earrings`, `blush`, ...), each on or off by itself.

It also keeps how often each value occurs in the training set, so a group a user does not ask for
is drawn from the training distribution. Pure Python and NumPy: no Keras, no TensorFlow.
"""

import csv
import difflib
import os

import numpy as np

HAIR_LENGTHS = ("short_hair", "medium_hair", "long_hair", "very_long_hair")
#: Group names in the order the vector lays them out; flags come last.
GROUP_ORDER = ("hair_color", "skin", "hair_length", "eye_color")
FLAG = "flag"


def group_of(tag):
    """The exclusive group a tag's name puts it in (Danbooru naming), or `"flag"`."""
    if tag in HAIR_LENGTHS:
        return "hair_length"
    if tag.endswith("_hair"):
        return "hair_color"
    if tag.endswith("_skin"):
        return "skin"
    if tag.endswith("_eyes"):
        return "eye_color"
    return FLAG


def split_tags(cells):
    """Tag cells (comma cells, each maybe space-separated) -> a sorted list of unique, lowercased tags."""
    out = set()
    for cell in cells:
        out.update(t.strip().lower() for t in cell.replace(",", " ").split() if t.strip())
    return sorted(out)


def read_tags_csv(path):
    """A `tags.csv` file -> `{file name: [tags]}` (see `parse_tags_text`).

    Raises:
        FileNotFoundError: the file does not exist (named).
        TagsFileError (a ValueError): not UTF-8, or not readable as CSV (named).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Tags file {path!r} does not exist.")
    with open(path, "rb") as f:
        return parse_tags_text(decode_tags_bytes(f.read(), path), name=path)


def decode_tags_bytes(data, name="tags.csv"):
    """The text of a `tags.csv` (UTF-8, with or without a byte-order mark); `TagsFileError` naming `name` if
    it is not UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TagsFileError(f"{name} is not UTF-8 text ({error.reason} at byte {error.start})") from None


class TagsFileError(ValueError):
    """A `tags.csv` that cannot be read as CSV; the one-line message names the file and the line."""


def parse_tags_text(text, name="tags.csv"):
    """`tags.csv` text -> `{file name: [tags]}`.

    A header row whose first cell is `filename`, `file`, `name` or `image` is skipped; blank rows
    are ignored; a file named twice gets the tags of both rows. Tags are lowercased (`Blue_Hair` is
    `blue_hair`); anything else a tag holds is kept (Danbooru has `:d` and `^_^`). Lines may end in
    `\n`, `\r\n` or `\r` (old Mac editors), in any mix.

    Raises:
        TagsFileError (a ValueError): text the CSV reader refuses (an over-long cell, a quote left open),
            naming `name` and the line.
    """
    try:
        return _parse_tags_rows(text, name)
    except csv.Error as error:
        raise TagsFileError(f"{name} is not a readable tags file: {error}") from None


def _parse_tags_rows(text, name):
    rows = {}
    reader = csv.reader(text.splitlines())
    for cells in reader:
        line_no = reader.line_num
        if not cells or not cells[0].strip():
            continue
        file_name = cells[0].strip()
        if line_no == 1 and file_name.lower() in ("filename", "file", "name", "image"):
            continue
        tags = split_tags(cells[1:])
        rows.setdefault(file_name.replace("\\", "/"), set()).update(tags)
    return {k: sorted(v) for k, v in rows.items()}


def tags_for_files(rows, files):
    """`{file: tags}` for the image files of a source: matched by relative path, else by base name."""
    by_base = {}
    for key, tags in rows.items():
        by_base.setdefault(key.rsplit("/", 1)[-1], tags)
    out = {}
    for name in files:
        key = name.replace("\\", "/")
        tags = rows.get(key)
        if tags is None:
            tags = by_base.get(key.rsplit("/", 1)[-1])
        if tags is not None:
            out[name] = tags
    return out


class TagVocabulary:
    """The tags a tag-conditioned model knows, in groups, with their training-set frequencies.

    Args:
        tags: the tag names, in vector order (each exclusive group's tags together, flags last).
        groups: each tag's group (`"flag"` for a flag).
        counts: how many training images have each tag.
        num_images: how many training images were counted.

    Example:

    >>> vocab = TagVocabulary.from_rows(read_tags_csv("avatars/tags.csv").values())
    >>> vocab.encode(["blue_hair", "glasses"])          # a multi-hot vector
    >>> vocab.draw(4, rng, given=["glasses"])           # 4 tag vectors: glasses on, the rest drawn
    """

    def __init__(self, tags, groups, counts=None, num_images=None):
        self.tags = [str(t) for t in tags]
        self.groups = [str(g) for g in groups]
        if len(self.tags) != len(self.groups) or len(set(self.tags)) != len(self.tags):
            raise ValueError("A tag vocabulary needs one group per tag and no tag twice.")
        self.counts = [int(c) for c in counts] if counts is not None else [1] * len(self.tags)
        self.num_images = int(num_images) if num_images is not None else max(1, max(self.counts, default=1))
        self.index = {t: i for i, t in enumerate(self.tags)}
        self.group_names = [g for g in dict.fromkeys(self.groups) if g != FLAG]

    def __len__(self):
        return len(self.tags)

    def __repr__(self):
        return f"TagVocabulary({len(self)} tags: {', '.join(self.group_names)}, {len(self.flags)} flags)"

    @classmethod
    def from_rows(cls, rows, min_count=1):
        """The vocabulary of tag rows (lists of tags, one per image); tags seen under `min_count` times are left out."""
        rows = [list(r) for r in rows]
        counts = {}
        for row in rows:
            for tag in set(row):
                counts[tag] = counts.get(tag, 0) + 1
        kept = {t for t, c in counts.items() if c >= min_count}
        grouped = {}
        for tag in kept:
            grouped.setdefault(group_of(tag), []).append(tag)
        # A group is exclusive only if no image has two of its values.
        for group in [g for g in grouped if g != FLAG]:
            values = set(grouped[group])
            if any(len(values.intersection(row)) > 1 for row in rows):
                grouped.setdefault(FLAG, []).extend(grouped.pop(group))
        order = [g for g in GROUP_ORDER if g in grouped] + [FLAG] * (FLAG in grouped)
        tags, groups = [], []
        for group in order:
            members = sorted(grouped[group], key=lambda t: (-counts[t], t))
            tags += members
            groups += [group] * len(members)
        if not tags:
            raise ValueError("No tags to learn: the tags file has no tags for these images.")
        return cls(tags, groups, [counts[t] for t in tags], len(rows))

    def get_config(self):
        return {"tags": self.tags, "groups": self.groups, "counts": self.counts, "num_images": self.num_images}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def flags(self):
        return [t for t, g in zip(self.tags, self.groups) if g == FLAG]

    def group_tags(self, group):
        return [t for t, g in zip(self.tags, self.groups) if g == group]

    def group_slices(self):
        """`[(group, start, stop)]` of the exclusive groups in the vector."""
        out = []
        for group in self.group_names:
            members = [i for i, g in enumerate(self.groups) if g == group]
            out.append((group, members[0], members[-1] + 1))
        return out

    def flag_indices(self):
        return [i for i, g in enumerate(self.groups) if g == FLAG]

    # ----------------------------------------------------------------- user input
    def parse(self, tags):
        """A user's tags (a list, or one comma- or space-separated string) -> a validated, sorted list.

        Raises:
            ValueError: an unknown tag (naming the nearest known ones), or two values of one exclusive group.
        """
        if tags is None:
            return []
        if isinstance(tags, str):
            tags = [tags]
        tags = split_tags(tags)
        unknown = [t for t in tags if t not in self.index]
        if unknown:
            tag = unknown[0]
            near = difflib.get_close_matches(tag, self.tags, n=3, cutoff=0.5)
            if not near:  # the same group's tags are the likeliest meant
                near = [t for t in self.tags if t.split("_")[-1] == tag.split("_")[-1]][:3]
            hint = f"; nearest: {', '.join(near)}" if near else ""
            raise ValueError(f"Unknown tag {tag!r}{hint}. `keras-animegan tags` lists the model's tags.")
        for group in self.group_names:
            picked = [t for t in tags if self.groups[self.index[t]] == group]
            if len(picked) > 1:
                raise ValueError(f"Tags {' and '.join(picked)} are both {group}: give at most one.")
        return tags

    def encode(self, tags):
        """Tags -> a float32 multi-hot vector (validated as `parse` does)."""
        vector = np.zeros(len(self), np.float32)
        for tag in self.parse(tags):
            vector[self.index[tag]] = 1.0
        return vector

    def encode_rows(self, rows):
        """Rows of tags (training data) -> a float32 (n, len) matrix; unknown tags are ignored."""
        out = np.zeros((len(rows), len(self)), np.float32)
        for i, row in enumerate(rows):
            for tag in row:
                j = self.index.get(tag)
                if j is not None:
                    out[i, j] = 1.0
        return out

    def decode(self, vector, threshold=0.5):
        """A vector (multi-hot, or a classifier's probabilities) -> its tags: each group's top value, and flags over `threshold`."""
        vector = np.asarray(vector, np.float32)
        out = []
        for _, start, stop in self.group_slices():
            part = vector[start:stop]
            if part.max() > 0:
                out.append(self.tags[start + int(part.argmax())])
        out += [self.tags[i] for i in self.flag_indices() if vector[i] > threshold]
        return out

    def draw(self, count, rng, given=None, draw_flags=None):
        """`count` tag vectors: the `given` tags on, each exclusive group not given drawn from the training
        frequencies, and flags off unless given (or, with nothing given, drawn from their frequencies).

        Args:
            count: how many vectors.
            rng: a `numpy.random.Generator`.
            given: the user's tags (see `parse`), or None for none.
            draw_flags: draw the flags not given from their frequencies; default: only when nothing is given.
        """
        given = self.parse(given)
        if draw_flags is None:
            draw_flags = not given
        # Every group and flag is drawn whatever is given, so the random stream (and with it the rest
        # of a seed's avatar) does not change when one tag does.
        out = np.zeros((count, len(self)), np.float32)
        given_groups = {self.groups[self.index[t]] for t in given}
        for group, start, stop in self.group_slices():
            counts = np.asarray(self.counts[start:stop], np.float64)
            none = max(self.num_images - counts.sum(), 0.0)  # images without this group
            p = np.append(counts, none)
            picks = rng.choice(len(p), size=count, p=p / p.sum())
            if group in given_groups:
                continue
            rows = np.nonzero(picks < stop - start)[0]
            out[rows, start + picks[rows]] = 1.0
        flags = self.flag_indices()
        frequencies = np.asarray([self.counts[i] for i in flags], np.float64) / self.num_images
        drawn = rng.random((count, len(flags))) < frequencies
        if draw_flags and flags:
            out[:, flags] = drawn.astype(np.float32)
        for tag in given:
            out[:, self.index[tag]] = 1.0
        return out


def tag_inputs(vocabulary, latent_dim, count, tags=None, seed=None):
    """A tag-conditioned generator's inputs `(count, latent_dim + len(vocabulary))`: noise, then tag vectors.

    The noise of a seed is `keras_animegan.utils.noise.standard_normal(seed)` (the SavedModels' graphs draw
    the same) and depends on the seed only, so the same seed with other tags keeps the rest of the face;
    the tags not given are drawn with `numpy.random.default_rng(seed)`. Every backend and runtime draws
    the same inputs for a seed.

    Args:
        vocabulary: a `TagVocabulary`.
        latent_dim: the noise length.
        count: how many inputs.
        tags: one tag list (or comma-separated string) for all, one list per input, or None (all drawn).
        seed: an int, or None for a fresh draw.
    """
    from keras_animegan.utils import noise as seeded_noise

    rng = np.random.default_rng(seed)
    noise = seeded_noise.standard_normal(seed, (count, latent_dim))
    if tags is not None and not isinstance(tags, str) and len(tags) and not isinstance(tags[0], str):
        if len(tags) != count:
            raise ValueError(f"Give one tag list per image ({count}), or one for all; got {len(tags)}.")
        vectors = np.concatenate([vocabulary.draw(1, rng, given=t) for t in tags])
    else:
        vectors = vocabulary.draw(count, rng, given=tags)
    return np.concatenate([noise, vectors], axis=1)
