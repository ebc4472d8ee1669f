"""Trainers: `python -m train.dcgan` (and, later, `train.cyclegan`, `train.cartoongan`)."""
