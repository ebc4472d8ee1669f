"""The trainers: `keras-animegan train dcgan|cyclegan|cartoongan [flags]`.

Also `python -m keras_animegan.train.dcgan` (and, from a clone of the
repository, `python -m train.dcgan`). Each trainer module has `run(config)`
for Python and `main(argv)` for the command line; `options` holds the shared
flags and the config dataclass, `common` the run loop they share.
"""
