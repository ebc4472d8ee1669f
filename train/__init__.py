"""Shims for `python -m train.dcgan|cyclegan|cartoongan` from a clone (the trainers are `keras_animegan.train`).

Not part of the installed wheel: there, run `keras-animegan train ...` or
`python -m keras_animegan.train.dcgan`.
"""
