"""Danbooru-style tags: tags.csv, the vocabulary's groups, user input and the draws."""

import numpy as np
import pytest

from keras_animegan.utils.tags import TagVocabulary
from keras_animegan.utils.tags import group_of
from keras_animegan.utils.tags import parse_tags_text
from keras_animegan.utils.tags import read_tags_csv
from keras_animegan.utils.tags import tags_for_files


def test_tags_csv_takes_comma_cells_and_danbooru_spaces(tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("filename,tags\na.png,blue_hair long_hair, glasses\n\nsub\\b.png,Red_Hair,,short_hair\n"
                    "a.png,earrings\n")
    rows = read_tags_csv(path)
    assert rows == {"a.png": ["blue_hair", "earrings", "glasses", "long_hair"],
                    "sub/b.png": ["red_hair", "short_hair"]}
    # Files are matched by relative path, else by base name.
    assert tags_for_files(rows, ["a.png", "x/sub/b.png", "other/b.png", "c.png"]) == {
        "a.png": rows["a.png"], "x/sub/b.png": rows["sub/b.png"], "other/b.png": rows["sub/b.png"]}


def test_a_missing_tags_csv_is_named_and_odd_danbooru_tags_are_kept(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        read_tags_csv(tmp_path / "nope.csv")
    assert parse_tags_text("file,tags\na.png,:d ^_^ Smile\n") == {"a.png": [":d", "^_^", "smile"]}


def test_groups_follow_the_danbooru_names_and_exclusive_only_when_the_data_says_so():
    assert [group_of(t) for t in ("aqua_hair", "long_hair", "dark_skin", "blue_eyes", "glasses")] == [
        "hair_color", "hair_length", "skin", "eye_color", "flag"]
    vocab = TagVocabulary.from_rows([["blue_hair", "long_hair", "green_eyes", "red_eyes"], ["red_hair", "short_hair"],
                                     ["blue_hair", "short_hair", "glasses"]])
    assert vocab.group_names == ["hair_color", "hair_length"]  # two eye colours on one image: flags
    assert set(vocab.flags) == {"green_eyes", "red_eyes", "glasses"}
    assert vocab.tags[:2] == ["blue_hair", "red_hair"]  # by frequency within a group
    rare = TagVocabulary.from_rows([["blue_hair", "hat"], ["blue_hair"]], min_count=2)
    assert rare.tags == ["blue_hair"]


def test_user_tags_are_checked():
    vocab = TagVocabulary.from_rows([["blue_hair", "long_hair"], ["red_hair", "short_hair", "glasses"]])
    assert vocab.parse("glasses, blue_hair") == ["blue_hair", "glasses"]
    assert vocab.parse("glasses blue_hair") == ["blue_hair", "glasses"]
    with pytest.raises(ValueError, match="Unknown tag 'glases'; nearest: glasses"):
        vocab.parse(["glases"])
    with pytest.raises(ValueError, match="blue_hair and red_hair are both hair_color"):
        vocab.parse("blue_hair,red_hair")
    vector = vocab.encode(["red_hair", "glasses"])
    assert vocab.decode(vector) == ["red_hair", "glasses"]


def test_draws_follow_the_training_frequencies_and_the_rules():
    rows = [["blue_hair", "long_hair"]] * 3 + [["red_hair", "short_hair", "glasses"]]
    vocab = TagVocabulary.from_rows(rows)
    rng = np.random.default_rng(0)
    drawn = vocab.draw(4000, rng)
    assert abs(drawn[:, vocab.index["blue_hair"]].mean() - 0.75) < 0.03
    assert abs(drawn[:, vocab.index["glasses"]].mean() - 0.25) < 0.03  # nothing given: flags drawn too
    given = vocab.draw(500, rng, given=["long_hair"])
    assert np.all(given[:, vocab.index["long_hair"]] == 1) and np.all(given[:, vocab.index["short_hair"]] == 0)
    assert np.all(given[:, vocab.index["glasses"]] == 0)  # something given: flags not given are off
    assert np.all(given[:, [vocab.index["blue_hair"], vocab.index["red_hair"]]].sum(axis=1) == 1)
    # The same seed with another tag draws the same other groups.
    a = vocab.draw(50, np.random.default_rng(7), given=["glasses"])
    b = vocab.draw(50, np.random.default_rng(7), given=["glasses", "short_hair"])
    hair = [vocab.index["blue_hair"], vocab.index["red_hair"]]
    np.testing.assert_array_equal(a[:, hair], b[:, hair])


def test_the_vocabulary_round_trips_its_config():
    vocab = TagVocabulary.from_rows([["blue_hair", "long_hair"], ["red_hair", "short_hair", "glasses"]])
    again = TagVocabulary.from_config(vocab.get_config())
    assert (again.tags, again.groups, again.counts, again.num_images) == (vocab.tags, vocab.groups, vocab.counts, 2)


def test_the_shipped_avatar_tags_cover_every_image_with_one_value_per_group():
    import os
    import zipfile

    from keras_animegan.data import embedded

    rows = read_tags_csv(embedded.anime_avatars_64_tags())
    with zipfile.ZipFile(embedded.anime_avatars_64()) as archive:
        assert sorted(rows) == sorted(archive.namelist())
    vocab = TagVocabulary.from_rows(rows.values())
    assert vocab.group_names == ["hair_color", "skin", "hair_length"]
    assert (len(vocab.group_tags("hair_color")), len(vocab.group_tags("skin"))) == (14, 4)
    assert set(vocab.flags) == {"glasses", "earrings", "mustache", "blush", "freckles", "birthmark"}
    for tags in rows.values():
        assert [sum(vocab.groups[vocab.index[t]] == g for t in tags) for g in vocab.group_names] == [1, 1, 1]
    # The benchmarks' 12,000 rows start with the embedded 2,000.
    everything = read_tags_csv(os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "standin_data",
                                            "anime_avatars_64_tags.csv"))
    assert len(everything) == 12000 and all(everything[name] == tags for name, tags in rows.items())
