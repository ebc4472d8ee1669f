"""What a benchmark ran on, in words, read from the machine itself (not typed in by hand)."""

import os
import platform
from importlib import metadata


def cpu_name():
    """The CPU's model name and its AVX-512 / bf16 features (Linux), else the platform's name."""
    try:
        with open("/proc/cpuinfo") as f:
            info = f.read()
    except OSError:
        return platform.processor() or platform.machine()
    names = [line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")]
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    extras = [x for x in ("avx512f", "avx512_bf16", "amx_bf16") if x in flags]
    return (names[0] if names else platform.machine()) + (f" ({', '.join(extras)})" if extras else " (no AVX-512)")


def version(package):
    """`package`'s installed version, without importing it ("-" when it is not installed)."""
    try:
        return ".".join(metadata.version(package).split(".")[:2])
    except metadata.PackageNotFoundError:
        return "-"


def describe(*packages, extra=None):
    """E.g. "2 CPU cores, AMD EPYC 7B13 (no AVX-512), TF 2.21, Keras 3.15": cores, CPU and the stack's versions.

    Args:
        packages: more `(label, distribution)` pairs to name, e.g. `("onnxruntime", "onnxruntime")`.
        extra: a last phrase (e.g. "fp32").
    """
    parts = [f"{os.cpu_count()} CPU cores, {cpu_name()}", f"TF {version('tensorflow')}",
             f"Keras {version('keras')}"]
    parts += [f"{label} {version(name)}" for label, name in packages]
    return ", ".join(parts + ([extra] if extra else []))
