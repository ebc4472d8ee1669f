"""Fuzz harnesses for the parsers that read what users and clients send: the image guard and decoder, the
`tags.csv` reader, and the zip reader.

    python -m fuzz image --seconds 300          # or tags, zip; every target: --target all
    python -m fuzz image --seconds 300 --atheris  # coverage-guided, when atheris is installed

Each target (`fuzz.targets`) feeds bytes to the package's own entry point and accepts only the exceptions
that entry point documents; anything else, a single input that takes over `SLOW_SECONDS`, or (for images)
a guard that counts fewer pixels than Pillow then allocates, is a finding. Findings are written to
`fuzz/crashes/` and the run exits 1. The seeds are made in code (`fuzz.seeds`); the inputs that crashed
before the parsers were hardened are regression cases in `tests/test_fuzz.py`.
"""
