"""The Gradio page over a `Demo`: one tab per task, each a named API endpoint, and the server that serves it."""

import functools
import os

from keras_animegan.demo.core import ANY
from keras_animegan.demo.core import MAX_COUNT
from keras_animegan.demo.core import MAX_STEPS
from keras_animegan.demo.core import SIZES
from keras_animegan.demo.uploads import MAX_FILE_SIZE
from keras_animegan.demo.uploads import DemoError
from keras_animegan.demo.uploads import check_upload
from keras_animegan.demo.uploads import unreadable


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
