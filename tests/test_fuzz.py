"""The parsers against inputs that crashed them (kept as regression cases), and the fuzz harnesses themselves."""

import io
import os
import struct
import subprocess
import sys
import types
import zipfile

import pytest
from PIL import Image

from fuzz.targets import run_one
from keras_animegan.utils.archives import ArchiveMemberError
from keras_animegan.utils.archives import open_zip
from keras_animegan.utils.archives import read_member
from keras_animegan.utils.decoding import UnreadableImageError
from keras_animegan.utils.decoding import decode_image
from keras_animegan.utils.image_size import read_image_size
from keras_animegan.utils.tags import TagsFileError
from keras_animegan.utils.tags import parse_tags_text
from tests.test_structure import ROOT


def zip_of(members, method=zipfile.ZIP_DEFLATED, flag=0, compress_type=None):
    """A real zip of `members` ({name: bytes}); `flag` or `compress_type` then rewritten in both headers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    for signature, flags, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        at = data.index(signature)
        struct.pack_into("<H", data, at + flags, struct.unpack_from("<H", data, at + flags)[0] | flag)
        if compress_type is not None:
            struct.pack_into("<H", data, at + method_at, compress_type)
    return bytes(data)


def test_tags_with_cr_line_endings_parse():
    """Before: `_csv.Error: new-line character seen in unquoted field`."""
    assert parse_tags_text("a.png,x\rb") == {"a.png": ["x"], "b": []}
    assert parse_tags_text("filename,tags\ra.png,blue_hair\rb.png,red_hair short_hair\r") == {
        "a.png": ["blue_hair"], "b.png": ["red_hair", "short_hair"]}


def test_a_tags_file_the_csv_reader_refuses_is_a_named_tags_file_error():
    with pytest.raises(TagsFileError, match="my/tags.csv"):
        parse_tags_text('a.png,"' + "x" * 200_000, name="my/tags.csv")


@pytest.mark.parametrize("case", ["cr endings", "encrypted", "unsupported method", "lzma corrupt", "not utf-8"])
def test_tagged_training_reads_or_names_a_bad_tags_csv_inside_a_zip(tmp_path, case):
    """Before: `_csv.Error`, `RuntimeError` and `NotImplementedError` ended `train tagged_dcgan` with exit code 1
    and a traceback. Now: read, or a ValueError (exit code 2) naming the archive and the member."""
    from keras_animegan.train.tagged_dcgan import source_tags

    text = b"filename,tags\ra.png,blue_hair\rb.png,red_hair\r"
    data = {"cr endings": zip_of({"tags.csv": text}), "encrypted": zip_of({"tags.csv": text}, flag=1),
            "unsupported method": zip_of({"tags.csv": text}, compress_type=99),
            "not utf-8": zip_of({"tags.csv": b"a.png,\xff\xfe blue_hair"})}.get(case)
    if case == "lzma corrupt":
        data = bytearray(zip_of({"tags.csv": text * 20}, method=zipfile.ZIP_LZMA))
        data[data.index(b"tags.csv") + 8 + 9] ^= 0xFF  # inside the LZMA properties and stream
        data = bytes(data)
    path = tmp_path / "set.zip"
    path.write_bytes(data)
    source = types.SimpleNamespace(is_zip=True, path=str(path), files=["a.png", "b.png"])
    if case == "cr endings":
        assert source_tags(source) == {"a.png": ["blue_hair"], "b.png": ["red_hair"]}
        return
    with pytest.raises(ValueError) as raised:
        source_tags(source)
    message = str(raised.value)
    assert f"{path}:tags.csv" in message and "\n" not in message
    if case == "encrypted":
        assert "encrypted" in message
    if case == "unsupported method":
        assert "method 99" in message


def test_read_member_raises_only_its_documented_errors():
    corrupt = bytearray(zip_of({"a.png": b"x" * 5000}, method=zipfile.ZIP_LZMA))
    corrupt[corrupt.index(b"a.png") + 5 + 20] ^= 0xFF
    for data in (bytes(corrupt), zip_of({"a.png": b"x"}, flag=1), zip_of({"a.png": b"x"}, compress_type=1)):
        with open_zip(io.BytesIO(data)) as archive:
            with pytest.raises(ArchiveMemberError, match="a.png cannot be read"):
                read_member(archive, "a.png")
    with pytest.raises(ArchiveMemberError, match="not a readable .zip"):
        open_zip(io.BytesIO(b"PK\x03\x04" + b"\0" * 40))


def tiff_with_float_strip_offsets():
    buffer = io.BytesIO()
    Image.new("L", (4, 4), 7).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        if struct.unpack_from("<H", data, ifd + 2 + 12 * i)[0] == 273:  # StripOffsets: now a FLOAT
            struct.pack_into("<H", data, ifd + 2 + 12 * i + 2, 11)
    return bytes(data)


def test_decode_image_maps_what_else_pillow_raises_to_its_documented_error():
    """Before: a `TypeError` from Pillow, which the docstring did not name."""
    with pytest.raises(UnreadableImageError, match=r"^upload.tif is not a readable image \(TypeError"):
        decode_image(tiff_with_float_strip_offsets(), name="upload.tif")


def test_the_guard_reads_gif_blocks_after_a_stray_byte_as_pillow_does():
    """Found by the fuzzer: Pillow skips a byte that starts no block and reads the frame after it; the guard
    stopped there and counted the 8 x 6 screen, where Pillow set up 8 x 9000."""
    head = b"GIF89a" + struct.pack("<HH", 8, 6) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
    data = head + b"\x01" + b"\x2c" + struct.pack("<HHHH", 0, 0, 8, 9000) + b"\x00\x02\x02\x4c\x01\x00\x3b"
    assert Image.open(io.BytesIO(data)).size == (8, 9000)
    assert read_image_size(data).pixels >= 8 * 9000
    assert run_one("image", data) is None


def test_the_guard_reads_a_tiff_size_stored_as_several_values():
    """Found by the fuzzer: ImageLength with a count of 128 (its values at an offset); Pillow takes the first
    value there, the guard read the offset as the size."""
    buffer = io.BytesIO()
    Image.new("L", (8, 6), 7).save(buffer, format="TIFF")
    data = bytearray(buffer.getvalue())
    ifd = struct.unpack_from("<I", data, 4)[0]
    values_at = len(data)
    data += struct.pack("<I", 655360) * 128
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        if struct.unpack_from("<H", data, ifd + 2 + 12 * i)[0] == 257:
            struct.pack_into("<HHII", data, ifd + 2 + 12 * i, 257, 4, 128, values_at)
    assert Image.open(io.BytesIO(bytes(data))).size == (8, 655360)
    assert read_image_size(bytes(data)).height == 655360


@pytest.mark.parametrize("target", ["image", "tags", "zip"])
def test_each_fuzz_harness_runs_its_seeds_and_fuzzes_briefly_without_findings(target, tmp_path):
    """The harnesses run as documented (`python -m fuzz TARGET --seconds N`); the long runs are by hand."""
    done = subprocess.run([sys.executable, "-W", "ignore", "-m", "fuzz", target, "--seconds", "4"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{target}: " in done.stdout and " 0 finding(s)" in done.stdout
    runs = int(done.stdout.split(f"{target}: ")[1].split(" inputs")[0].replace(",", ""))
    assert runs > 1000


CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz_cases")


@pytest.mark.parametrize("name", sorted(os.listdir(CASES)))
def test_inputs_the_fuzzer_found_stay_fixed(name):
    """Inputs a fuzz run found, kept as they were found:

    - `tiff-repeated-image-length.bin` (553 bytes) names ImageLength twice, 518 then 6, with a corrupt
      entry between them: Pillow stops before the second and sets up 8 x 518; the guard kept the last, 6.
    - `gif-extension-runs-on*.bin`: an extension whose first sub-block is empty. Pillow reads one
      sub-block and then sub-blocks up to an empty one, so it runs on past the extension's end, into an
      image descriptor of 8 x 63,777 (and 8 x 18,701) that the guard's walk never reached.
    """
    with open(os.path.join(CASES, name), "rb") as f:
        data = f.read()
    target = name.split("-")[0].replace("tiff", "image").replace("gif", "image").replace("png", "image")
    run_one(target, data)  # the first call imports the package: not timed as the parser
    assert run_one(target, data) is None
