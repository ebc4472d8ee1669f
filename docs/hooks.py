"""MkDocs hook: `<!-- results: NAME -->` lines become the tables of `benchmarks.report` (from the JSON results)."""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARKER = re.compile(r"^<!-- results: ([a-z_]+) -->$", re.MULTILINE)


def on_page_markdown(markdown, page, config, files):
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from benchmarks import report

    return MARKER.sub(lambda match: report.render(match.group(1)), markdown)
