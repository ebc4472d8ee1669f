"""Leaf helpers every layer of the package may use: image decoding, pixel ranges, export versions.

Nothing here imports another `keras_animegan` module, and `decoding` imports no
TensorFlow (the TFDS builders and the command line read images through it).
"""
