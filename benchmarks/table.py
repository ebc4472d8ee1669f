"""The markdown table every benchmark prints (and the docs' benchmark page shows)."""


def markdown_table(header, rows):
    """A GitHub-flavoured markdown table: `header` (names) and `rows` (lists of cells, any type), as text."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |"

    return "\n".join([line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
                     + [line(row) for row in cells[1:]])
