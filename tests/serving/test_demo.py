"""`keras-animegan demo`: the Gradio page on the shipped presets, through `gradio_client` and in a real browser.

The server runs in this process on a free loopback port, with every connection that is not to loopback
recorded (the demo must work offline: no analytics, no version check, nothing fetched). The browser
test drives Debian's chromium with Playwright's Python package (Playwright's own browser download is
never used); without the browser it fails and says how to install it. Screenshots go to
`$KERAS_ANIMEGAN_SCREENSHOTS` when set (the README's come from there), else to a temporary folder.
"""

import io
import ipaddress
import os
import shutil
import socket
import zipfile

import numpy as np
import pytest
from PIL import Image

from keras_animegan import demo as demo_module
from keras_animegan.cli import main as cli_main
from keras_animegan.demo import Demo
from keras_animegan.demo import DemoError
from tests.bombs import gif_frame_bomb

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# The flags that keep Chromium off the network here (no background fetches, no component updates).
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _is_loopback(host):
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.endswith(".localhost")


@pytest.fixture(scope="module")
def outside_calls():
    """Every attempt of this process to reach a host that is not loopback (refused and recorded)."""
    attempts = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def guarded_connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            attempts.append(address)
            raise OSError(f"test: no network ({address})")
        return connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        if not _is_loopback(host):
            attempts.append(host)
            raise socket.gaierror(f"test: no network ({host})")
        return getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", guarded_connect)
        patch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
        yield attempts


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def demo():
    return Demo.load()  # the shipped presets


@pytest.fixture(scope="module")
def server(demo, outside_calls):
    """The demo page on the shipped presets, warmed up, on a free loopback port: its URL."""
    port = _free_port()
    app = demo_module.build_app(demo)
    demo.warm_up()
    url = demo_module.launch(app, "127.0.0.1", port, block=False)
    yield url
    app.close()
    assert outside_calls == [], f"the demo tried to reach the internet: {outside_calls}"


@pytest.fixture(scope="module")
def client(server):
    """A `gradio_client` script's view of the page (offline: huggingface_hub's telemetry off, as the README says)."""
    import huggingface_hub.constants
    from gradio_client import Client

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_TELEMETRY", True)
        yield Client(server, verbose=False)


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """The astronaut (a face), a flat image (no face), a huge PNG (small file) and a text file named .png."""
    from skimage import data

    folder = tmp_path_factory.mktemp("photos")
    paths = {name: str(folder / f"{name}.png") for name in ("astronaut", "no_face", "huge", "bomb", "text")}
    paths["gif_bomb"] = str(folder / "gif_bomb.gif")
    with open(paths["gif_bomb"], "wb") as f:  # a 64x64 GIF whose frame claims 12000 x 12000
        f.write(gif_frame_bomb(12000))
    Image.fromarray(data.astronaut()).save(paths["astronaut"])
    Image.fromarray(np.full((96, 128, 3), 200, np.uint8)).save(paths["no_face"])
    Image.new("RGB", (5000, 4000), (90, 120, 150)).save(paths["huge"])  # 20 Mpx, a few kB on disk
    with open(paths["bomb"], "wb") as f:  # a PNG header claiming 30000 x 30000 pixels: Pillow refuses to open it
        f.write(_png_header(30000, 30000))
    with open(paths["text"], "w") as f:
        f.write("this is not an image\n")
    return paths


def _png_header(width, height):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IEND", b""))


def _image(path):
    return np.asarray(Image.open(path).convert("RGB"))


# ------------------------------------------------------------------ core, no server
def test_load_names_what_is_wrong():
    with pytest.raises(DemoError, match="dcgan_avatars_64"):  # an unknown name lists the shipped ones
        Demo.load(presets=["no_such_preset"])
    with pytest.raises(DemoError, match="missing.keras"):
        Demo.load(models=["missing.keras"])
    with pytest.raises(DemoError, match="one generator"):
        Demo.load(presets=["dcgan_avatars_64", "dcgan_avatars_64"])
    assert cli_main(["demo", "--preset", "no_such_preset"]) == 2


def tiny_cartoongan_file(folder):
    import keras

    from keras_animegan import CartoonGAN

    images = keras.Input((32, 32, 3))
    features = keras.Model(images, keras.layers.Conv2D(4, 3, strides=2, padding="same")(images))
    model = CartoonGAN(features, image_size=32, base_filters=4, num_blocks=1, seed=0)
    path = str(folder / "cartoongan.keras")
    model.save(path)
    return path


def test_own_models_by_path(tiny_models, photos, tmp_path):
    """`--model` takes `.keras` files and SavedModel exports: a DCGAN and a CycleGAN and CartoonGAN to choose from."""
    own = Demo.load(models=[str(tiny_models["dir"] / "dcgan.keras"), str(tiny_models["cyclegan_export"]),
                            tiny_cartoongan_file(tmp_path)])
    size = own.generator.output_size
    assert str(tiny_models["cyclegan_export"]).rstrip("/").endswith(os.path.join("cyclegan", "1"))
    assert list(own.translators) == ["cyclegan", "CartoonGAN"]  # an export is named by its model folder
    pair, _ = own.translate(photos["no_face"], "CartoonGAN", False)
    assert pair.shape == (192, 512, 3)
    grid, _ = own.generate(0, 4, 1.0, write_zip=False)
    assert grid.shape == (2 * size + 6, 2 * size + 6, 3)
    pair, overlay = own.translate(photos["no_face"], None, False)
    assert pair.shape == (192, 512, 3) and overlay is None
    with pytest.raises(DemoError, match="without a generator"):
        Demo(None, own.translators).generate(0, 4)
    with pytest.raises(DemoError, match="without a translator"):
        Demo(own.generator, {}).translate(photos["no_face"])


def test_generate_is_seeded_and_truncation_scales_the_noise(demo):
    grid, archive = demo.generate(5, 4, 1.0)
    again, _ = demo.generate(5, 4, 1.0)
    other, _ = demo.generate(6, 4, 1.0)
    np.testing.assert_array_equal(grid, again)
    assert np.abs(grid.astype(int) - other).mean() > 5
    tiles = [grid[2 + r * 66: 66 + r * 66, 2 + c * 66: 66 + c * 66].astype(int) for r in (0, 1) for c in (0, 1)]
    assert min(np.abs(tiles[0] - t).mean() for t in tiles[1:]) > 5  # the avatars differ
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert len(names) == 4 and all(n.endswith(".png") for n in names)
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(z.read(names[0])))), tiles[0])
    flat, _ = demo.generate(5, 4, 0.0)  # psi 0: every noise vector is the mean, so one avatar four times
    flat_tiles = [flat[2 + r * 66: 66 + r * 66, 2 + c * 66: 66 + c * 66] for r in (0, 1) for c in (0, 1)]
    assert all(np.array_equal(flat_tiles[0], t) for t in flat_tiles[1:])
    for bad, match in (((5, 0, 1.0), "Count"), ((5, 4, 3.0), "Truncation"), ((-1, 4, 1.0), "Seed"),
                       (("x", 4, 1.0), "Seed")):
        with pytest.raises(DemoError, match=match):
            demo.generate(*bad)


def test_zips_on_disk_are_bounded(demo):
    for seed in range(demo_module.MAX_ZIPS + 3):
        demo.generate(seed, 1, 1.0)
    assert len([n for n in os.listdir(demo.work_dir) if n.endswith(".zip")]) == demo_module.MAX_ZIPS


def test_read_photo_checks_the_header_before_decoding(photos):
    assert _image(photos["astronaut"]).shape == demo_module.read_photo(photos["astronaut"]).shape
    with pytest.raises(DemoError, match=r"huge.png is 5000x4000 pixels \(PNG\), over the limit"):
        demo_module.read_photo(photos["huge"])
    with pytest.raises(DemoError, match="text.png is not an image"):
        demo_module.read_photo(photos["text"])
    with pytest.raises(DemoError, match=r"bomb.png is 30000x30000 pixels \(PNG\), over the limit"):
        demo_module.read_photo(photos["bomb"])
    with pytest.raises(DemoError, match=r"gif_bomb.gif is 12000x12000 pixels \(GIF\), over the limit"):
        demo_module.read_photo(photos["gif_bomb"])


def test_uploads_are_checked_before_gradio_decodes_them(photos):
    """Before: Gradio's own preprocessing decoded a 12000x12000 RGBA PNG (5.7 s, 1.97 GB) before the demo's
    size check ran."""
    import types

    gr = demo_module._gradio()
    decoded = []
    component = types.SimpleNamespace(preprocess=lambda payload: decoded.append(payload) or payload.path)
    demo_module._guard_upload(component, gr)
    for name in ("bomb", "gif_bomb"):
        payload = types.SimpleNamespace(path=photos[name], orig_name=os.path.basename(photos[name]))
        with pytest.raises(gr.Error, match="over the limit"):
            component.preprocess(payload)
    assert decoded == []  # refused from the header: Gradio never opened them
    payload = types.SimpleNamespace(path=photos["astronaut"], orig_name="astronaut.png")
    assert component.preprocess(payload) == photos["astronaut"] and len(decoded) == 1


# ------------------------------------------------------------ the page, gradio_client
@pytest.mark.slow
def test_the_three_endpoints_return_images_of_the_right_size(client, photos):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/generate", "/interpolate", "/translate"} <= set(endpoints)

    grid, archive = client.predict(3, 16, 1.0, api_name="/generate")
    assert _image(grid).shape == (4 * 64 + 5 * 2, 4 * 64 + 5 * 2, 3)  # 16 avatars, 4 x 4 with 2 px gaps
    assert _image(grid).std() > 20
    with zipfile.ZipFile(archive) as z:
        assert len(z.namelist()) == 16

    # The size choice: 256 px avatars through the shipped upscaler, not the 64 px ones enlarged.
    big, archive = client.predict(3, 4, 1.0, 256, api_name="/generate")
    big = _image(big)
    assert big.shape == (2 * 256 + 3 * 2, 2 * 256 + 3 * 2, 3)
    small = _image(client.predict(3, 4, 1.0, 64, api_name="/generate")[0])
    enlarged = np.repeat(np.repeat(small[2:66, 2:66], 4, axis=0), 4, axis=1)
    assert np.abs(big[2:258, 2:258].astype(int) - enlarged).mean() > 2
    with zipfile.ZipFile(archive) as z:
        assert Image.open(z.open(z.namelist()[0])).size == (256, 256)

    strip = client.predict(0, 1, 5, api_name="/interpolate")
    assert _image(strip).shape == (64 + 2 * 2, 5 * 64 + 6 * 2, 3)

    pair, overlay = client.predict(_file(photos["astronaut"]), "CycleGAN", True, api_name="/translate")
    pair, overlay = _image(pair), _image(overlay)
    assert pair.shape == (256, 512, 3) and overlay.shape == (256, 256, 3)
    assert np.abs(pair[:, :256].astype(int) - pair[:, 256:]).mean() > 10  # translated, not copied
    pair, overlay = client.predict(_file(photos["astronaut"]), "CartoonGAN" if "CartoonGAN" in _choices(
        endpoints) else "CycleGAN", False, api_name="/translate")
    assert _image(pair).shape == (256, 512, 3) and overlay is None


def test_the_tags_endpoint_draws_the_picked_tags_and_keeps_the_face(client, demo):
    groups, flags = demo.tag_choices()
    assert list(groups) == ["hair_color", "skin", "hair_length"] and "glasses" in flags
    picks = {"hair_color": "blue_hair", "skin": "(any)", "hair_length": "long_hair"}
    grid, seed = client.predict(7, 4, True, *picks.values(), ["glasses"], api_name="/tags")
    assert seed == 7 and _image(grid).shape == (2 * 64 + 3 * 2, 2 * 64 + 3 * 2, 3)
    core, _, asked = demo.generate_tagged(7, 4, picks, ["glasses"], keep_face=True)
    np.testing.assert_array_equal(_image(grid), core)  # the page draws what the core draws
    assert asked == "blue_hair, glasses, long_hair"
    red, _, _ = demo.generate_tagged(7, 4, dict(picks, hair_color="red_hair"), ["glasses"], keep_face=True)
    assert np.abs(red.astype(int) - core).mean() > 3  # another hair colour on the same faces
    _, new_seed = client.predict(7, 4, False, *picks.values(), [], api_name="/tags")
    assert new_seed != 7  # without "Keep the face" each click draws new faces
    with pytest.raises(DemoError, match="Unknown tag 'teal_hair'"):
        demo.generate_tagged(7, 4, {"hair_color": "teal_hair"}, [])


def test_make_my_avatar_reads_the_photo_and_redraws_with_the_changed_tags(client, demo, photos):
    groups, flags = demo.avatar_controls()
    assert list(groups) == ["hair_color", "skin", "hair_length"] and "glasses" in flags and "smile" in flags
    pair, hair, skin, length, on, seed, summary = client.predict(_file(photos["astronaut"]), api_name="/make_avatar")
    pair = _image(pair)
    assert pair.shape == (256, 512, 3) and pair[:, 256:].std() > 20
    assert hair in groups["hair_color"] and skin in groups["skin"] and length in groups["hair_length"]
    assert "glasses" not in on and summary.startswith("Read: ")
    _, read_tags = demo.avatar_maker(_image(photos["astronaut"]))
    assert "smiling" in summary and "smile" in on  # read, and drawn so (the preset matches the expression)
    assert {hair, skin, length, *on} == set(read_tags) | {"smile"}  # the controls hold what was read
    assert seed == demo.avatar_maker.read(_image(photos["astronaut"])).seed  # the photo's own seed
    same = _image(client.predict(seed, hair, skin, length, on, api_name="/redraw_avatar"))
    np.testing.assert_array_equal(same, pair[:, 256:])  # the same tags and seed: the same avatar
    blue = _image(client.predict(seed, "blue_hair", skin, length, on + ["glasses"], api_name="/redraw_avatar"))
    assert np.abs(blue.astype(int) - same).mean() > 3
    straight = _image(client.predict(seed, hair, skin, length, [f for f in on if f != "smile"],
                                      api_name="/redraw_avatar"))
    small = np.asarray(Image.fromarray(straight).resize((64, 64), Image.NEAREST), np.float32) / 127.5 - 1.0
    assert float(np.asarray(demo.avatar_maker.avatar_reader(small[None]))[0, 0]) < 0  # unticked: it does not smile
    small = np.asarray(Image.fromarray(same).resize((64, 64), Image.NEAREST), np.float32) / 127.5 - 1.0
    assert float(np.asarray(demo.avatar_maker.avatar_reader(small[None]))[0, 0]) > 0  # ticked: the avatar smiles
    with pytest.raises(DemoError, match="No face found"):
        demo.make_avatar(photos["no_face"])
    with pytest.raises(DemoError, match="Upload a photo"):
        demo.make_avatar(None)


def _file(path):
    from gradio_client import handle_file

    return handle_file(path)


def _choices(endpoints):
    return str(endpoints["/translate"]["parameters"][1]["python_type"])


@pytest.mark.slow
def test_bad_input_is_a_message_and_the_server_stays_up(client, photos):
    from gradio_client.exceptions import AppError

    cases = [((_file(photos["text"]), "CycleGAN", True), "text.png is not an image"),
             ((_file(photos["huge"]), "CycleGAN", False), "over the limit"),
             ((_file(photos["bomb"]), "CycleGAN", False), "bomb.png is 30000x30000 pixels"),
             ((_file(photos["gif_bomb"]), "CycleGAN", False), "gif_bomb.gif is 12000x12000 pixels"),
             ((_file(photos["no_face"]), "CycleGAN", True), "No face found"),
             ((None, "CycleGAN", True), "Upload a photo")]
    for arguments, message in cases:
        with pytest.raises(AppError, match=message) as raised:
            client.predict(*arguments, api_name="/translate")
        assert "Traceback" not in str(raised.value)
    with pytest.raises(AppError, match="greater than maximum value 256"):  # Gradio checks the slider
        client.predict(0, 1000, 1.0, api_name="/generate")
    pair, _ = client.predict(_file(photos["no_face"]), "CycleGAN", False, api_name="/translate")  # still up
    assert _image(pair).shape == (192, 512, 3)


@pytest.mark.slow
def test_the_command_serves_the_page(tmp_path):
    """`python -m keras_animegan demo` as a user starts it: the shipped presets, warm-up, then the page."""
    import subprocess
    import sys
    import time
    import urllib.request

    from tests import forked

    port = _free_port()
    log = open(tmp_path / "demo.log", "w")
    process = forked.start([sys.executable, "-m", "keras_animegan", "demo", "--port", str(port)],
                           stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail(f"no page (exit status {process.poll()}): {(tmp_path / 'demo.log').read_text()[-2000:]}")
        assert "gradio" in page.lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as response:
            config = response.read().decode()
        assert "dcgan_avatars_64" in config and "cyclegan_faces2avatars_64" in config
    finally:
        process.terminate()
        process.wait(30)
        log.close()


# ------------------------------------------------------------------------ the browser
def _chromium():
    path = os.environ.get("KERAS_ANIMEGAN_CHROMIUM") or next(
        (shutil.which(n) for n in CHROMIUM_NAMES if shutil.which(n)), None)
    if not path:
        pytest.fail("The demo's browser test needs Chromium, and none was found (looked for "
                    f"{', '.join(CHROMIUM_NAMES)} on PATH and $KERAS_ANIMEGAN_CHROMIUM). On Debian/Ubuntu: "
                    "`apt-get install chromium` (the README's test command does it).")
    return path


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"The demo's browser test needs Playwright's Python package (the test extra): {error}")
    executable = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _wait_for_image(page, element_id, timeout=60_000):
    """Waits until the image in `element_id` is loaded and not blank (checked on its pixels in the page,
    through a canvas); returns its natural `[width, height]`."""
    page.wait_for_function(
        f"""() => {{
            const i = document.querySelector('#{element_id} img');
            if (!i || !i.complete || i.naturalWidth === 0) return false;
            const c = document.createElement('canvas');
            c.width = i.naturalWidth; c.height = i.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(i, 0, 0);
            const d = g.getImageData(0, 0, c.width, c.height).data;
            let n = 0, sum = 0, sq = 0;
            for (let k = 0; k < d.length; k += 4) {{ n++; sum += d[k + 1]; sq += d[k + 1] * d[k + 1]; }}
            return Math.sqrt(sq / n - (sum / n) ** 2) > 20;
        }}""", timeout=timeout)
    return page.evaluate(f"() => {{ const i = document.querySelector('#{element_id} img'); "
                         "return [i.naturalWidth, i.naturalHeight]; }")


@pytest.mark.slow
def test_the_page_generates_and_translates_in_chromium(server, browser, photos, tmp_path):
    shots = os.environ.get("KERAS_ANIMEGAN_SCREENSHOTS") or str(tmp_path)
    os.makedirs(shots, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(server)

    try:
        page.locator("#generate-button").click()
        assert _wait_for_image(page, "generate-output") == [530, 530]  # 64 avatars, 8 x 8, not blank
        page.screenshot(path=os.path.join(shots, "demo_generate.png"))
        _translate_in_the_page(page, photos, shots)
        _make_avatar_in_the_page(page, photos, shots)
    except Exception:
        page.screenshot(path=os.path.join(shots, "demo_failure.png"), full_page=True)
        raise
    assert errors == [], f"errors in the page: {errors}"
    page.close()
    for name in ("demo_generate.png", "demo_translate.png", "demo_avatar.png"):
        assert os.path.getsize(os.path.join(shots, name)) > 10_000


def _upload_and_run(page, tab, prefix, photo):
    """Opens `tab`, uploads `photo` into `#<prefix>-input`, clicks `#<prefix>-button`: the output image's size."""
    page.get_by_role("tab", name=tab).click()
    page.locator(f"#{prefix}-input input[type=file]").set_input_files(photo)
    page.locator(f"#{prefix}-input img").wait_for(state="visible")
    page.locator(f"#{prefix}-button").click()
    return _wait_for_image(page, f"{prefix}-output")


def _translate_in_the_page(page, photos, shots):
    assert _upload_and_run(page, "Translate", "translate", photos["astronaut"]) == [512, 256]
    page.screenshot(path=os.path.join(shots, "demo_translate.png"), full_page=True)

    page.locator("#translate-input input[type=file]").set_input_files(photos["text"])
    page.locator("#translate-button").click()
    page.get_by_text("is not an image Pillow can read").first.wait_for(timeout=30_000)  # shown, not a trace
    assert page.get_by_text("Traceback").count() == 0
    page.wait_for_timeout(1000)  # the message slides in
    page.screenshot(path=os.path.join(shots, "demo_error.png"))


def _make_avatar_in_the_page(page, photos, shots):
    assert _upload_and_run(page, "Make my avatar", "avatar", photos["astronaut"]) == [512, 256]
    page.get_by_text("Read: ").first.wait_for(timeout=30_000)
    page.locator("#avatar-again").click()
    assert _wait_for_image(page, "avatar-redrawn") == [256, 256]
    page.screenshot(path=os.path.join(shots, "demo_avatar.png"), full_page=True)
