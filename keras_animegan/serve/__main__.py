"""`python -m keras_animegan.serve`: the REST server (see `keras_animegan.serve`)."""

import sys

from keras_animegan.serve.cli import main

sys.exit(main())
