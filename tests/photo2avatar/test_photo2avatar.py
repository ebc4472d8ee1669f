"""Photo -> avatar: the readers on a real photo (the public-domain astronaut portrait) and on edits of it that add
what they read (a glasses frame, hair below the jaw, darker skin), the calibration, the pipeline preset, the CLI."""

import dataclasses
import os

import cv2
import numpy as np
import pytest
from PIL import Image

import keras_animegan
from keras_animegan import presets
from keras_animegan.cli import main as cli_main
from keras_animegan.landmarks import FaceMesh
from keras_animegan.photo2avatar import Calibration
from keras_animegan.photo2avatar import Measurements
from keras_animegan.photo2avatar import NoFaceError
from keras_animegan.photo2avatar import Photo2Avatar
from keras_animegan.photo2avatar import measure
from keras_animegan.photo2avatar import expression
from keras_animegan.photo2avatar import readers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PHOTO = os.path.join(ROOT, "keras_animegan", "data", "embedded", "demo_photos", "astronaut.png")


@pytest.fixture(scope="module")
def photo():
    return np.asarray(Image.open(PHOTO).convert("RGB"))


@pytest.fixture(scope="module")
def landmarks(photo):
    result = FaceMesh(num_threads=1)(photo)
    assert result.found
    return result.landmarks


@pytest.fixture(scope="module")
def pipeline():
    return Photo2Avatar.from_preset("photo2avatar_64")


def frame_of(photo, landmarks):
    h, w = photo.shape[:2]
    return readers.FaceFrame(landmarks[:, :2] * np.array([w, h], np.float32), h, w)


# ------------------------------------------------------------------ readers
def test_the_astronaut_reads_as_what_she_is(photo, landmarks):
    """Short, highlighted mid-to-light brown hair, light skin, no glasses, no beard, smiling: the portrait shows
    each plainly."""
    m = measure(photo, landmarks)
    calibration = Calibration()
    assert calibration.hair(m.hair_lab) in ("brown_hair", "ash_brown_hair", "light_brown_hair")
    assert calibration.skin(m.skin_lab) in ("pale_skin", "light_skin")
    flags = calibration.flags(m)
    assert flags == {"glasses": False, "long_hair": False, "mustache": False, "smile": True, "dark_glasses": False}, m


def test_a_drawn_glasses_frame_is_read(photo, landmarks):
    """A dark bar across the nose bridge and rims round the eyes: the glasses reading goes over the threshold."""
    with_glasses = photo.copy()
    frame = frame_of(photo, landmarks)
    width = frame.face_width
    for eye in (readers.RIGHT_EYE_CENTER, readers.LEFT_EYE_CENTER):
        center = frame.points[list(eye)].mean(0)
        cv2.ellipse(with_glasses, tuple(int(v) for v in center), (int(0.17 * width), int(0.11 * width)), 0, 0, 360,
                    (20, 20, 20), max(2, int(0.025 * width)))
    right, left = frame.points[133], frame.points[362]
    cv2.line(with_glasses, tuple(int(v) for v in right), tuple(int(v) for v in left), (20, 20, 20),
             max(2, int(0.025 * width)))
    before = measure(photo, landmarks).glasses
    after = measure(with_glasses, landmarks).glasses
    threshold = Calibration().settings["glasses_edge"]
    assert before < threshold <= after, (before, after)


def test_hair_below_the_jaw_is_read_as_long(photo, landmarks):
    """The astronaut's hair colour painted beside her jaw and neck: long hair."""
    m = measure(photo, landmarks)
    long_haired = photo.copy()
    frame = frame_of(photo, landmarks)
    lab = np.array(m.hair_lab, np.float32).reshape(1, 1, 3)
    colour = np.clip(cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)[0, 0] * 255, 0, 255).astype(np.uint8)
    for side, jaw in ((-1, readers.RIGHT_JAW), (1, readers.LEFT_JAW)):
        outer = frame.points[list(jaw)]
        edge = outer[np.argmax(side * (outer @ frame.across))]
        region = frame.box(edge, (0.0, 0.3) if side > 0 else (-0.3, 0.0), (-0.2, 0.5))
        long_haired[region] = colour
    before, after = m.long_hair, measure(long_haired, landmarks).long_hair
    threshold = Calibration().settings["long_hair_share"]
    assert before < threshold <= after, (before, after)


def test_darker_skin_reads_darker_and_the_reading_does_not_depend_on_the_photo_size(photo, landmarks):
    calibration = Calibration()
    order = ["dark_skin", "brown_skin", "light_skin", "pale_skin"]
    base = measure(photo, landmarks)
    darker = (photo.astype(np.float32) * 0.45).astype(np.uint8)  # the same face in a much darker photo
    m = measure(darker, landmarks)
    assert m.skin_lab[0] < base.skin_lab[0] - 15
    assert order.index(calibration.skin(m.skin_lab)) < order.index(calibration.skin(base.skin_lab))
    big = cv2.resize(photo, (photo.shape[1] * 3, photo.shape[0] * 3), interpolation=cv2.INTER_CUBIC)
    again = measure(big, landmarks)  # landmarks are normalized: the same points on the bigger image
    assert abs(again.skin_lab[0] - base.skin_lab[0]) < 3 and abs(again.hair_lab[0] - base.hair_lab[0]) < 4
    assert abs(again.glasses - base.glasses) < 3


# ------------------------------------------------------------------ calibration
def measurements(skin=(70.0, 14.0, 18.0), hair=(20.0, 5.0, 8.0), **flags):
    values = dict(hair_found=0.9, long_hair=0.0, glasses=0.0, facial_hair=0.0, smile=0.3)
    values.update(flags)
    return Measurements(skin_lab=skin, hair_lab=hair, **values)


def test_calibration_keeps_the_palettes_order_and_reads_photos_darker_than_flat():
    calibration = Calibration()
    skin = [calibration.skin((lightness, 14.0, 18.0)) for lightness in range(10, 100, 2)]
    order = ["dark_skin", "brown_skin", "light_skin", "pale_skin"]
    assert [order.index(t) for t in skin] == sorted(order.index(t) for t in skin)  # darker photo, darker tone
    assert set(skin) == set(order)
    # A lit photo reads darker than the flat palette: a cheek at the palette's own light_skin L* (about 75)
    # is read as the lighter pale_skin, and the expected photo levels sit below the flat ones.
    from keras_animegan.photo2avatar.calibration import SKIN_PALETTE
    from keras_animegan.photo2avatar.calibration import palette_lightness

    assert calibration.skin((palette_lightness(SKIN_PALETTE["light_skin"]), 14.0, 18.0)) == "pale_skin"
    hair = [calibration.hair((lightness, 4.0, 9.0)) for lightness in range(2, 95, 2)]
    axis = ["black_hair", "dark_brown_hair", "brown_hair", "ash_brown_hair", "light_brown_hair", "blonde_hair"]
    assert [axis.index(t) for t in hair] == sorted(axis.index(t) for t in hair) and set(hair) == set(axis)
    assert calibration.hair((65.0, 1.0, 2.0)) == "grey_hair"  # light and colourless
    assert calibration.hair((6.0, 1.0, 2.0)) == "black_hair"  # dark and colourless is black, not grey
    assert calibration.hair((38.0, 30.0, 25.0)) in ("red_hair", "auburn_hair")


def test_flags_follow_their_thresholds_and_bad_settings_are_named():
    calibration = Calibration({"glasses_edge": 5.0})
    tags = calibration.tags(measurements(glasses=6.0, long_hair=0.7, facial_hair=40.0))
    assert "glasses" in tags and "long_hair" in tags and "mustache" in tags
    assert calibration.tags(measurements(glasses=4.0))[2:] == ["short_hair"]
    with pytest.raises(ValueError, match="Unknown reader setting.*glasses_threshold"):
        Calibration({"glasses_threshold": 3})
    with pytest.raises(ValueError, match="lighting must be in"):
        Calibration({"lighting": 0.0})
    with pytest.raises(ValueError, match="flare must be a number"):
        Calibration({"flare": "a little"})


# ------------------------------------------------------------------ the pipeline
def test_the_preset_reads_the_photo_and_draws_the_same_avatar_for_the_same_photo(pipeline, photo):
    avatar, tags = pipeline(photo)
    assert avatar.dtype == np.uint8 and avatar.shape == (64, 64, 3) and avatar.std() > 20
    vocabulary = pipeline.vocabulary
    groups = [vocabulary.groups[vocabulary.index[t]] for t in tags]
    assert groups[:3] == ["hair_color", "skin", "hair_length"]
    again, _ = pipeline(photo.copy())
    np.testing.assert_array_equal(avatar, again)  # deterministic by default
    other, same_tags = pipeline(photo, seed=3)
    assert same_tags == tags and np.abs(other.astype(int) - avatar).mean() > 5  # a variant
    from_file, _ = pipeline(PHOTO)
    np.testing.assert_array_equal(from_file, avatar)


def test_tags_put_over_the_read_ones(pipeline, photo):
    reading = pipeline.read(photo)
    merged = pipeline.merge_tags(reading.tags, "blue_hair, glasses")
    assert "blue_hair" in merged and "glasses" in merged
    assert not any(t.endswith("_hair") and t not in ("blue_hair", "long_hair", "short_hair") for t in merged)
    assert [t for t in merged if t.endswith("_skin")] == [t for t in reading.tags if t.endswith("_skin")]
    assert "glasses" not in pipeline.merge_tags(merged, ["no_glasses"])
    with pytest.raises(ValueError, match="Unknown tag 'blu_hair'; nearest: blue_hair"):
        pipeline.merge_tags(reading.tags, ["blu_hair"])
    blue, _ = pipeline(photo, tags=["blue_hair"])
    plain, _ = pipeline(photo)
    assert np.abs(blue.astype(int) - plain).mean() > 3


def test_smile_and_no_smile_pick_the_avatars_expression(pipeline, photo):
    """Asked for, the avatar is the first candidate seed's whose mouth the avatar reader sees smiling (or not);
    the preset's `match_smile` asks for the photo's own expression (she smiles)."""
    assert pipeline.avatar_reader is not None and pipeline.read(photo).smile and pipeline.match_smile
    assert pipeline.smile_reader is pipeline.avatar_reader  # the former name

    def smiles(avatar):
        return expression.read_avatars(pipeline.avatar_reader, avatar[None])["smile"][0] > 0.5

    plain, tags = pipeline(photo)
    smiling, same_tags = pipeline(photo, tags="smile")
    straight, _ = pipeline(photo, tags=["no_smile"])
    assert same_tags == tags and "smile" not in tags  # an expression, not a tag
    assert smiles(smiling) and not smiles(straight)
    np.testing.assert_array_equal(plain, smiling)  # match_smile: she smiles
    rendered, rendered_tags, asked = pipeline.render(pipeline.read(photo), tags="smile")
    assert asked is True and rendered_tags == tags
    np.testing.assert_array_equal(rendered, smiling)  # what the call draws, from the reading
    unmatched = Photo2Avatar(pipeline.generator, avatar_reader=pipeline.avatar_reader, check=False)
    np.testing.assert_array_equal(unmatched(photo)[0], unmatched.draw(tags, pipeline.read(photo).seed))
    seeds = pipeline.candidate_seeds(123)
    assert seeds[0] == 123 and len(set(seeds)) == pipeline.candidates == 32
    one = Photo2Avatar(pipeline.generator, avatar_reader=pipeline.avatar_reader, candidates=1)
    np.testing.assert_array_equal(one.draw(tags, 7, smile=True), one.draw(tags, 7))  # one seed: its own mouth
    with pytest.raises(ValueError, match="candidates must be an integer from 1 to 64"):
        Photo2Avatar(pipeline.generator, candidates=0)
    with pytest.raises(ValueError, match="not both"):
        Photo2Avatar(pipeline.generator, avatar_reader=pipeline.avatar_reader, smile_reader=pipeline.avatar_reader)


def test_the_check_draws_hair_and_clear_glasses_where_the_first_seed_does_not(pipeline):
    """Black short hair on light skin is mostly drawn bald by the generator (the training set's shaved heads
    carry those tags), and short-haired glasses mostly as dark lenses: the check keeps the first candidate
    that shows hair and clear frames, and says when it took another seed."""
    tags = ["black_hair", "light_skin", "short_hair", "glasses"]
    unchecked = Photo2Avatar(pipeline.generator, avatar_reader=pipeline.avatar_reader, check=False)
    firsts = [expression.read_avatars(pipeline.avatar_reader, unchecked.draw(tags, seed)[None])
              for seed in range(8)]
    assert sum(r["bald"][0] > 0.5 for r in firsts) >= 4 and sum(r["dark_glasses"][0] > 0.5 for r in firsts) >= 6
    wants = pipeline.wanted(tags, dark_glasses=False)
    assert wants == {"bald": False, "glasses": True, "dark_glasses": False}
    moved = 0
    for seed in range(8):
        avatar, choice = pipeline.choose(tags, seed, wants)
        read = expression.read_avatars(pipeline.avatar_reader, avatar[None])
        assert choice.passed and read["bald"][0] < 0.5 and read["glasses"][0] > 0.5 and read["dark_glasses"][0] < 0.5
        assert choice.seed == pipeline.candidate_seeds(seed)[choice.index // 2]
        moved += choice.index > 0
        np.testing.assert_array_equal(avatar, pipeline.draw(tags, seed, dark_glasses=False))  # the same every time
    assert moved >= 4
    # Without glasses in the tags, an avatar with glasses is refused; a bald head is fine when asked for.
    assert pipeline.wanted(["brown_hair"], smile=True, bald=None) == {"smile": True, "glasses": False}


def test_a_read_mustache_is_left_out_unless_asked_for(pipeline, photo):
    """The preset's generator draws a mustache as a smudge on the cheek: read, reported, not drawn."""
    assert pipeline.leave_out == ["mustache"]
    reading = pipeline.read(photo)
    bearded = dataclasses.replace(reading.measurements, facial_hair=80.0)
    tags, left_out = pipeline.tags_of(bearded)
    assert left_out == ["mustache"] and "mustache" not in tags and tags == reading.tags
    everything = Photo2Avatar(pipeline.generator)  # without leave_out: drawn
    assert everything.tags_of(bearded) == (reading.tags + ["mustache"], [])
    assert "mustache" in pipeline.merge_tags(reading.tags, ["mustache"])  # asked for: drawn
    with pytest.raises(ValueError, match="Unknown tag 'moustache'"):
        Photo2Avatar(pipeline.generator, leave_out=["moustache"])


def test_an_older_presets_smile_reader_still_loads(pipeline, photo, tmp_path):
    """A pipeline preset saved with the mouth-only `smile_reader.npz` loads and reads the smile only."""
    legacy = expression.smile_reader()
    folder = Photo2Avatar(pipeline.generator, generator_preset="dcgan_tagged_avatars_64",
                          smile_reader=legacy).save_to_preset(str(tmp_path / "old"))
    assert os.path.isfile(os.path.join(folder, "smile_reader.npz"))
    loaded = Photo2Avatar.from_preset(folder)
    assert expression.readings_of(loaded.avatar_reader) == ("smile",)
    assert loaded.wanted(["brown_hair", "glasses"], smile=True) == {"smile": True}
    np.testing.assert_allclose(loaded.avatar_reader.get_weights()[0], legacy.get_weights()[0], atol=1e-2)


def test_a_photo_without_a_face_is_a_clear_error(pipeline):
    with pytest.raises(NoFaceError, match="No face found"):
        pipeline(np.full((120, 100, 3), 180, np.uint8))
    with pytest.raises(ValueError, match="RGB image"):
        pipeline(np.zeros((4, 4, 4, 3), np.uint8))


def test_pipeline_presets_are_listed_saved_and_refused_where_a_gan_is_wanted(pipeline, photo, tmp_path):
    assert "photo2avatar_64" in keras_animegan.list_presets()
    assert list(keras_animegan.list_presets("Photo2Avatar")) == ["photo2avatar_64"]
    assert keras_animegan.Photo2Avatar is Photo2Avatar
    with pytest.raises(ValueError, match="is a photo-to-avatar pipeline, not a GAN.*translate --preset photo2avatar_64"):
        keras_animegan.DCGAN.from_preset("photo2avatar_64")
    with pytest.raises(ValueError, match="holds a TaggedDCGAN, not a Photo2Avatar pipeline"):
        Photo2Avatar.from_preset("dcgan_tagged_avatars_64")
    # Settings changed and saved: the shipped generator is kept by name, the settings travel.
    custom = Photo2Avatar(pipeline.generator, {"glasses_edge": 1.0}, generator_preset="dcgan_tagged_avatars_64")
    folder = custom.save_to_preset(str(tmp_path / "mine"), metadata={"description": "mine"})
    assert sorted(os.listdir(folder)) == ["config.json", "metadata.json", "model_card.md"]
    loaded = Photo2Avatar.from_preset(folder)
    assert loaded.calibration.settings["glasses_edge"] == 1.0
    assert "glasses" in loaded.read(photo).tags  # the low threshold took effect
    # A generator that is not a shipped preset is saved inside the folder, and the avatar reader beside it.
    own = Photo2Avatar(pipeline.generator, generator_preset=None, avatar_reader=pipeline.avatar_reader,
                       candidates=32, match_smile=True, leave_out=["mustache"]).save_to_preset(str(tmp_path / "own"))
    assert os.path.isfile(os.path.join(own, "generator", presets.CONFIG_FILE))
    assert os.path.isfile(os.path.join(own, "avatar_reader.npz"))
    np.testing.assert_array_equal(Photo2Avatar.from_preset(own)(photo)[0], pipeline(photo)[0])


# ------------------------------------------------------------------ the command line
@pytest.fixture(scope="module")
def photo_folder(tmp_path_factory, photo):
    root = tmp_path_factory.mktemp("photos")
    Image.fromarray(photo).save(root / "astronaut.jpg", quality=95)
    (root / "more").mkdir()
    Image.fromarray(photo[:, ::-1]).save(root / "more" / "mirrored.png")
    Image.fromarray(np.full((90, 120, 3), 200, np.uint8)).save(root / "wall.png")  # no face
    (root / "broken.jpg").write_bytes(b"not a jpeg")
    return root


def test_translate_writes_one_avatar_per_photo_and_counts_what_it_skipped(photo_folder, tmp_path, capsys):
    out = tmp_path / "avatars"
    assert cli_main(["translate", "--preset", "photo2avatar_64", str(photo_folder), "--output", str(out),
                     "--show_tags"]) == 0
    captured = capsys.readouterr()
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png")) == ["astronaut.png",
                                                                                 "more/mirrored.png"]
    assert "Wrote 2 avatars" in captured.out and "skipped 1 photo(s) without a face and 1 unreadable" in captured.out
    assert "wall.png: no face found" in captured.err and "broken.jpg" in captured.err
    assert "astronaut.jpg: " in captured.out and "_skin" in captured.out  # --show_tags
    assert Image.open(out / "astronaut.png").size == (64, 64)


def test_show_tags_names_what_was_read_but_not_drawn(pipeline, photo_folder, tmp_path, capsys):
    """A mustache read off the photo is left out, and `--show_tags` says so; asked for with `--tags`, it is drawn."""
    folder = Photo2Avatar(pipeline.generator, {"facial_hair_darker": -100.0}, avatar_reader=pipeline.avatar_reader,
                          generator_preset="dcgan_tagged_avatars_64",
                          leave_out=["mustache"]).save_to_preset(str(tmp_path / "bearded"))
    photo = str(photo_folder / "astronaut.jpg")
    assert cli_main(["translate", "--preset", folder, photo, "--output", str(tmp_path / "a.png"), "--show_tags"]) == 0
    line = capsys.readouterr().out
    assert "(read, not drawn: mustache; add them with --tags)" in line and ", mustache" not in line.split("(")[0]
    assert cli_main(["translate", "--preset", folder, photo, "--output", str(tmp_path / "b.png"), "--show_tags",
                     "--tags", "mustache"]) == 0
    line = capsys.readouterr().out
    assert ", mustache" in line and "not drawn" not in line


def test_translate_one_photo_with_tags_seed_and_size(photo_folder, tmp_path, capsys):
    out = tmp_path / "me.png"
    assert cli_main(["translate", "--preset", "photo2avatar_64", str(photo_folder / "astronaut.jpg"), "--output",
                     str(out), "--tags", "blue_hair,glasses", "--show_tags", "--size", "256"]) == 0
    line = capsys.readouterr().out
    assert "blue_hair" in line and "glasses" in line and Image.open(out).size == (256, 256)
    first = np.asarray(Image.open(out))
    assert cli_main(["translate", "--preset", "photo2avatar_64", str(photo_folder / "astronaut.jpg"), "--output",
                     str(out), "--tags", "blue_hair,glasses", "--seed", "5", "--size", "256"]) == 0
    assert np.abs(np.asarray(Image.open(out)).astype(int) - first).mean() > 3


def test_translate_errors_name_the_file_or_flag(photo_folder, tmp_path, capsys):
    def fails(*argv):
        assert cli_main(list(argv)) != 0
        return capsys.readouterr().err

    assert "wall.png" in fails("translate", "--preset", "photo2avatar_64", str(photo_folder / "wall.png"),
                               "--output", str(tmp_path / "x.png"))
    assert "no face found" in fails("translate", "--preset", "photo2avatar_64", str(photo_folder / "wall.png"),
                                    "--output", str(tmp_path / "x.png"))
    assert "--tags" in fails("translate", "--preset", "photo2avatar_64", str(photo_folder), "--output",
                             str(tmp_path / "o"), "--tags", "teal_hair")
    assert "--direction" in fails("translate", "--preset", "photo2avatar_64", str(photo_folder), "--output",
                                  str(tmp_path / "o"), "--direction", "ba")
    assert "photo-to-avatar pipeline" in fails("generate", "--preset", "photo2avatar_64", "--output",
                                               str(tmp_path / "g.png"))
    assert cli_main(["tags", "--preset", "photo2avatar_64"]) == 0  # the generator's tags, and the expressions
    lines = capsys.readouterr().out.splitlines()
    assert "blue_hair\thair_color" in lines and "glasses\tflag" in lines and lines[-2:] == [
        "smile\texpression", "no_smile\texpression"]
    assert "--show_tags is for photo-to-avatar presets" in fails(
        "translate", "--preset", "cartoongan_photo2anime", str(photo_folder / "astronaut.jpg"), "--output",
        str(tmp_path / "c.png"), "--show_tags")
    assert not (tmp_path / "x.png").exists()
