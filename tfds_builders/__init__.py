"""TensorFlow Datasets builders for the report's datasets (anime, thumbs, faces).

Importing this package registers the builders with TFDS. The builders
themselves arrive with the datasets issue; the package exists now so the
distribution layout is stable.
"""
