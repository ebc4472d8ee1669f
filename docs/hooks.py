"""MkDocs hook: marker lines become generated Markdown.

- `<!-- results: NAME -->`: the table `benchmarks.report` makes from the JSON results;
- `<!-- public classes -->`: one API entry per public class (declared where it is defined, see
  `keras_animegan.utils.public`), so a new model is on the API page by its registration alone;
- `<!-- export formats -->`: the registered export formats as a table; `<!-- export format modules -->`:
  one API entry per format module.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^<!-- results: ([a-z_]+) -->$", re.MULTILINE)


def public_classes():
    """`::: module.Class` lines of every public class, in declaration order."""
    import importlib

    import keras_animegan

    lines = []
    for name in keras_animegan.__all__:
        value = getattr(keras_animegan, name)
        if isinstance(value, type):
            lines.append(f"::: {importlib.import_module(value.__module__).__name__}.{name}")
    return "\n\n".join(lines)


def export_format_modules():
    from keras_animegan.export import formats

    return "\n\n".join(f"::: {format.module}" for format in formats().values())


def on_page_markdown(markdown, page, config, files):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from benchmarks import report

    markdown = MARKER.sub(lambda match: report.render(match.group(1)), markdown)
    if "<!-- public classes -->" in markdown:
        markdown = markdown.replace("<!-- public classes -->", public_classes())
    if "<!-- export formats -->" in markdown:
        from keras_animegan.export import format_table

        markdown = markdown.replace("<!-- export formats -->", format_table())
    if "<!-- export format modules -->" in markdown:
        markdown = markdown.replace("<!-- export format modules -->", export_format_modules())
    return markdown
