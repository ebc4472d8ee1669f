"""Quiet start-up for the commands: TensorFlow's (and XLA's) C++ log lines are hidden unless the user asks.

Importing Keras on TensorFlow prints lines such as "Could not find cuda drivers
on your machine", "This TensorFlow binary is optimized to use available CPU
instructions" and "oneDNN custom operations are on". They are harmless, and a
command should not open with them. Some are written by C++ code before any log
setting is read, so `TF_CPP_MIN_LOG_LEVEL` alone does not hide them: the
commands also point the process's stderr at /dev/null while TensorFlow and Keras
import, and restore it at once (Python errors still show: they are raised, and
printed after the import).

The same holds for `import keras_animegan` in a user's own program: it starts as
quietly as the commands. Nothing is hidden when the user set `TF_CPP_MIN_LOG_LEVEL`
(0 shows every line), nor when TensorFlow was imported before us.
"""

import contextlib
import os
import sys

#: The environment variable that shows TensorFlow's log lines again when set (e.g. to 0).
LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"


def is_command():
    """True in the `keras-animegan` command, `python -m keras_animegan...` and `python -m train.*`."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    if program in ("keras-animegan", "keras-animegan.exe", "-m"):  # `-m`: the package imports while runpy finds it
        return True
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return bool(spec and spec.name and spec.name.split(".")[0] in ("train", "keras_animegan"))


def should_quiet():
    return LOG_LEVEL_VARIABLE not in os.environ and "tensorflow" not in sys.modules


@contextlib.contextmanager
def quiet_imports():
    """Within the block, C++ writes to stderr go to /dev/null (only when `should_quiet()`)."""
    if not should_quiet():
        yield
        return
    # For the whole run: TF's INFO, WARNING and ERROR lines (on a machine without a GPU driver, CUDA's
    # "failed call to cuInit" is an ERROR line at the first op). Errors that stop a command still reach
    # the user as Python exceptions.
    os.environ[LOG_LEVEL_VARIABLE] = "3"
    with stderr_to_devnull():
        yield


@contextlib.contextmanager
def quiet_native_info():
    """Within the block, native libraries' stderr lines are hidden unless the user set `TF_CPP_MIN_LOG_LEVEL`
    to 0 or 1 (info lines shown): for LiteRT's `INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`, printed by C++ as an
    interpreter is made (Python errors are raised, not printed, so they still reach the user)."""
    if os.environ.get(LOG_LEVEL_VARIABLE, "3") not in ("2", "3"):
        yield
        return
    with stderr_to_devnull():
        yield


@contextlib.contextmanager
def stderr_to_devnull():
    """File descriptor 2 points at /dev/null within the block (C and C++ writes included), then back."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # no file descriptor 2 (a GUI host): nothing to hide
        yield
        return
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
