"""`UserError`: a mistake of the user's (a missing file, a model of the wrong kind, a bad flag value).

The commands print its message as `error: ...` and exit with status 2; the message names the
file or argument.
"""


class UserError(Exception):
    """A user error (a model that is missing, of the wrong kind, or broken; a bad argument): the message says which."""
