"""Python commands of the tests, forked from a process that has already imported TensorFlow and Keras.

A test that runs `python -m train.dcgan ...` as a user does pays for a fresh interpreter's imports first
(TensorFlow alone: 5-11 s on 2 cores). `run` and `start` take the same command (`[sys.executable, "-m" | "-c" |
script, ...]`) and fork it from a server that imported TensorFlow and Keras once (the standard library's
`multiprocessing` forkserver; `PRELOAD` lists what it imports). Nothing else is imported there and nothing runs: TensorFlow starts its runtime in
the child, as in a fresh process. The child is a real process (its own pid, signals, exit code, files) with the
command's environment, working folder, `sys.argv` and a fresh interpreter's `sys.path` (the command's
`PYTHONPATH` included), so the package is imported from where the command would import it.

A command that needs a fresh interpreter still gets one (`subprocess`): another Keras backend, an environment
variable that Keras or TensorFlow reads at import (see `READ_AT_IMPORT`), interpreter options, or a test that checks
start-up itself (its log lines, its time, what it imports, interpreter exit).
"""

import atexit
import json
import multiprocessing
import os
import signal
import subprocess
import shutil
import sys
import tempfile
import traceback
import types

PRELOAD = ["tensorflow", "keras", "numpy", "PIL.Image", "cv2", "h5py"]
# Read once, when Keras or TensorFlow is imported: a command that sets one differently gets a fresh interpreter.
READ_AT_IMPORT = ("KERAS_BACKEND", "KERAS_HOME", "TF_ENABLE_ONEDNN_OPTS", "CUDA_VISIBLE_DEVICES", "TF_USE_LEGACY_KERAS")

_context = None
_server_env = None
_fresh_path = None


def _server():
    """The forkserver context (started on first use), and the `sys.path` of a fresh `python -c` after its ''."""
    global _context, _server_env, _fresh_path
    if _context is None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        _fresh_path = json.loads(subprocess.run(
            [sys.executable, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"], env=env,
            capture_output=True, text=True, check=True).stdout)
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
        _server_env = dict(os.environ)
    return _context


def forkable(command, env):
    """Whether `command` (with `env`) can be forked from the server instead of starting a fresh interpreter."""
    if command[0] != sys.executable or len(command) < 2 or (command[1].startswith("-") and command[1] not in ("-m", "-c")):
        return False
    server_env = _server_env if _server_env is not None else os.environ
    return all(env.get(name) == server_env.get(name) for name in READ_AT_IMPORT)


def _open_output(spec, directory, name):
    """`(path to write, path to read back or None)` for a Popen-style `stdout=`/`stderr=` argument."""
    if spec is None:
        return None, None
    if spec == subprocess.DEVNULL:
        return os.devnull, None
    if spec == subprocess.PIPE:
        path = os.path.join(directory, name)
        return path, path
    if spec == subprocess.STDOUT:
        return "stdout", None
    if hasattr(spec, "fileno"):
        spec.flush()
        return os.readlink(f"/proc/self/fd/{spec.fileno()}"), None  # the file's path: the child cannot see our fds
    raise ValueError(f"unsupported output {spec!r}")


def _child(command, env, cwd, stdout, stderr, fresh_path):
    """In the forked process: become `command` as a fresh interpreter would run it, and exit with its status."""
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the forkserver ignores ^C; a command does not
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in ((1, stdout), (2, stderr)):
        if path == "stdout":
            os.dup2(1, 2)
        elif path is not None:
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            os.dup2(out, fd)
            os.close(out)
    mode, target, rest = (command[1], command[2], command[3:]) if command[1] in ("-m", "-c") else (
        None, command[1], command[2:])
    first = {"-c": "", "-m": os.getcwd()}[mode] if mode else os.path.dirname(os.path.realpath(target))
    sys.path[:] = [first, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p], *fresh_path]
    code = 0
    try:
        import runpy

        if mode == "-m":
            sys.argv = [target, *rest]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        elif mode == "-c":
            sys.argv = ["-c", *rest]
            main = types.ModuleType("__main__")
            main.__dict__["__builtins__"] = __builtins__
            sys.modules["__main__"] = main
            exec(compile(target, "<string>", "exec"), main.__dict__)
        else:
            sys.argv = [target, *rest]
            runpy.run_path(target, run_name="__main__")
    except SystemExit as exit_:
        if exit_.code is None or isinstance(exit_.code, int):
            code = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            code = 1
    except BaseException:  # as the interpreter does: the traceback on stderr, status 1
        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


class Forked:
    """What `subprocess.Popen` gives, for a forked command: `pid`, `poll`, `wait`, `communicate`, signals,
    `returncode`, and `stdout` / `stderr` readable at the end where `subprocess.PIPE` was asked for."""

    def __init__(self, command, env, cwd, stdout, stderr, text):
        self._folder = tempfile.mkdtemp(prefix="forked_")
        out, self._out = _open_output(stdout, self._folder, "stdout")
        err, self._err = _open_output(stderr, self._folder, "stderr")
        for path in (self._out, self._err):
            if path:
                open(path, "w").close()
        self._text = text
        self._process = _server().Process(target=_child, args=(list(command), env, cwd, out, err, _fresh_path))
        self._process.start()
        self.pid = self._process.pid
        self.args = command
        self.returncode = None

    def _read(self, path):
        if path is None:
            return None
        with open(path, "r" if self._text else "rb") as f:
            return f.read()

    @property
    def stdout(self):
        return _Reader(lambda: self._read(self._out)) if self._out else None

    @property
    def stderr(self):
        return _Reader(lambda: self._read(self._err)) if self._err else None

    def poll(self):
        if self.returncode is None and not self._process.is_alive():
            self._process.join()
            self.returncode = self._process.exitcode
        return self.returncode

    def wait(self, timeout=None):
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.poll()

    def communicate(self, timeout=None):
        self.wait(timeout)
        return self._read(self._out), self._read(self._err)

    def send_signal(self, sig):
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class _Reader:
    """`process.stderr.read()` on a finished forked process."""

    def __init__(self, read):
        self.read = read


def start(command, *, env=None, cwd=None, stdout=None, stderr=None, text=False, fresh=False):
    """`subprocess.Popen(command, ...)`, forked where it can be (see `forkable`); `fresh=True` never forks."""
    env = dict(os.environ if env is None else env)
    if fresh or not forkable(command, env):
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=stderr, text=text)
    return Forked(command, env, os.path.abspath(cwd or os.getcwd()), stdout, stderr, text)


def run(command, *, env=None, cwd=None, timeout=600, fresh=False):
    """`subprocess.run(command, capture_output=True, text=True, ...)`, forked where it can be; `fresh=True`
    (say, code that sets `KERAS_BACKEND` itself) never forks."""
    env = dict(os.environ if env is None else env)
    if fresh or not forkable(command, env):
        return subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    process = Forked(command, env, os.path.abspath(cwd or os.getcwd()), subprocess.PIPE, subprocess.PIPE, True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    finally:
        shutil.rmtree(process._folder, ignore_errors=True)
    return subprocess.CompletedProcess(command, process.returncode, out, err)
