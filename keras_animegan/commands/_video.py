"""`keras-animegan translate` on a video: frame by frame through OpenCV, one frame size kept throughout."""

import os

from keras_animegan.commands import UserError
from keras_animegan.commands._output import progress

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def translate_video(source, output, translate, crop=None):
    """Writes `source` with every frame through `translate` (uint8 RGB -> uint8 RGB) to `output` (or into it)."""
    import cv2

    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise UserError(f"INPUT {source!r}: OpenCV cannot open this video.")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
    if os.path.isdir(output) or not output.lower().endswith(VIDEO_EXTENSIONS):
        output = os.path.join(output, os.path.splitext(os.path.basename(source))[0] + ".mp4")
    from keras_animegan.utils import safe_files

    # Written to a fresh file beside `output`, renamed over it at the end: a link there is replaced.
    with safe_files.replacing(output) as tmp:
        writer = _Writer(tmp, fps, name=output)
        try:
            with progress(total=total, desc="translate", unit="frame") as bar:
                while True:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                    if crop is not None and crop.size is None and writer.size is None:
                        # A video has one frame size: the first face crop's side, kept for every frame
                        # (OpenCV's writer silently drops frames of any other size).
                        crop.size = crop(rgb).shape[0]
                        crop.no_face = 0
                    writer.write(translate(rgb))
                    bar.update(1)
        finally:
            capture.release()
            writer.release()
        if not writer.frames:
            raise UserError(f"INPUT {source!r}: no frames could be read.")
        written = count_frames(tmp)
    if written != writer.frames:
        raise UserError(f"--output {output!r}: OpenCV wrote {written} of {writer.frames} frames.")
    width, height = writer.size
    print(f"Wrote {written} frames ({width}x{height}) to {output}{crop.report('frame(s)') if crop else ''}.")
    return 0


class _Writer:
    """OpenCV's video writer, opened at the first frame's size; later frames are resized to it."""

    def __init__(self, path, fps, name=None):
        self.path, self.fps, self.writer, self.size, self.frames = path, fps, None, None, 0
        self.name = name or path

    def write(self, rgb):
        import cv2

        if self.writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.path.lower().endswith((".mp4", ".m4v", ".mov"))
                                              else "MJPG"))
            self.size = (rgb.shape[1], rgb.shape[0])
            self.writer = cv2.VideoWriter(self.path, fourcc, self.fps, self.size)
            if not self.writer.isOpened():
                raise UserError(f"--output {self.name!r}: OpenCV cannot write this video format.")
        if (rgb.shape[1], rgb.shape[0]) != self.size:
            rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
        self.writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        self.frames += 1

    def release(self):
        if self.writer is not None:
            self.writer.release()


def count_frames(path):
    """Frames in a written video, counted by reading it back (the container's count can be an estimate)."""
    import cv2

    capture = cv2.VideoCapture(path)
    count = 0
    try:
        while capture.grab():
            count += 1
    finally:
        capture.release()
    return count
