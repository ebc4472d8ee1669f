"""A training run's folder: one trainer at a time (a lock naming its holder), and clear full-disk errors.

>>> with RunLock("runs/dcgan"):
...     train()
"""

import errno
import json
import logging
import os
import shutil
import socket
import time

from keras_animegan.utils import safe_files

logger = logging.getLogger("keras_animegan")


class RunLockedError(RuntimeError):
    """Another live process holds the run folder's lock."""


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


class RunLock:
    """An exclusive lock on a run folder (`<folder>/.lock`), held while a trainer writes there.

    The lock is an `flock` on the file, so the kernel releases it when the
    holder exits, also on `kill -9`; the file's content says who holds it (PID,
    host, start time). A second trainer on the same folder fails at once with
    `RunLockedError` naming the holder. A lock file left by a process that is
    gone (a dead PID, or a holder whose lock the kernel already released) is
    taken over with a warning.

    On file systems without `flock` (some network mounts), the PID recorded in
    the file decides: a live PID on this host holds the folder.
    """

    FILENAME = ".lock"

    def __init__(self, directory):
        self.directory = os.fspath(directory)
        self.path = os.path.join(self.directory, self.FILENAME)
        self._fd = None

    def holder(self):
        """What the lock file says: `{"pid", "host", "since"}`, or None."""
        try:
            with safe_files.open_no_follow(self.path) as f:
                info = json.load(f)
            return info if isinstance(info, dict) and "pid" in info else None
        except (OSError, ValueError):
            return None

    def _describe(self, info):
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("since", 0)))
        return f"PID {info.get('pid')} on host {info.get('host')!r} (since {since})"

    def acquire(self):
        import fcntl

        os.makedirs(self.directory, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as error:
            safe_files.refuse_link(self.path)
            raise error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = self.holder() or {"pid": "?", "host": "?"}
            raise RunLockedError(
                f"{self.directory} is in use by another trainer: {self._describe(info)}. Wait for it to finish, "
                f"stop it, or use another --model_dir.") from None
        except OSError as error:
            if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                os.close(fd)
                raise
            info = self.holder()  # no flock here: trust a live PID on this host
            if info and info.get("host") == socket.gethostname() and isinstance(info.get("pid"), int) \
                    and info["pid"] != os.getpid() and _pid_alive(info["pid"]):
                os.close(fd)
                raise RunLockedError(f"{self.directory} is in use by another trainer: {self._describe(info)}.") \
                    from None
        stale = self.holder()
        if stale and stale.get("pid") != os.getpid():
            logger.warning("Taking over the lock of %s left by %s, which is no longer running.", self.directory,
                           self._describe(stale))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode(), 0)
        self._fd = fd
        return self

    def release(self):
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)  # an empty file: nobody holds it (a rerun takes it without a warning)
        except OSError:
            pass
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def is_disk_full(error):
    """Whether an exception says the disk (or the user's quota) is full."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(error)
    return "No space left on device" in text or "Disk quota exceeded" in text or "errno = 28" in text


def disk_space_message(path):
    """`'<free> MB free of <total> MB on the disk holding <path>'`."""
    probe = os.path.abspath(os.fspath(path))
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    usage = shutil.disk_usage(probe)
    return f"{usage.free / 2**20:.1f} MB free of {usage.total / 2**20:.1f} MB on the disk holding {path}"
