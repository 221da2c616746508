"""`Grid`: rich's `Table.grid` (cells side by side, no borders), drawn with less work.

rich draws each cell of a table through a `Padding` renderable: a cell is measured and
rendered inside it, and its lines are split and cropped twice. A tensor solution or an
entry's chain draws hundreds of small grids, and that second layer was a third of their
cost. `Grid` measures and renders each cell itself with the padding rich would give it,
and lets rich decide the column widths as before, so the lines are the same, character for
character and style for style (tests/test_grid.py compares them with rich's own grid).
"""

from __future__ import annotations

from rich.measure import Measurement
from rich.segment import Segment
from rich.table import Table


class Grid(Table):
    """`Grid.grid(padding=...)` as `Table.grid`; rows and columns as a Table's. A grid with
    padding above or below, a style on the grid or its rows, or a fixed column width is
    drawn by rich as before."""

    def _plain(self) -> bool:
        top, _, bottom, _ = self.padding
        return (
            self.box is None
            and not self.show_header
            and not self.show_footer
            and not top
            and not bottom
            and not self.row_styles
            and self.style in (None, "", "none")
            and all(not row.style for row in self.rows)
            and all(c.width is None for c in self.columns)
        )

    def _sides(self, index: int) -> tuple[int, int]:
        """The spaces rich puts left and right of a cell of column `index` (`_get_cells`)."""
        _, right, _, left = self.padding
        if self.collapse_padding and index:
            left = max(0, left - right)
        if not self.pad_edge:
            left = 0 if index == 0 else left
            right = 0 if index == len(self.columns) - 1 else right
        return left, right

    def _measure_column(self, console, options, column):
        if not self._plain():
            return super()._measure_column(console, options, column)
        width = options.max_width
        if width < 1:
            return Measurement(0, 0)
        left, right = self._sides(column._index)
        extra = left + right
        least, most = [], []
        for cell in column.cells:  # each as `Padding.__rich_measure__` measures it
            if width - extra < 1:
                low = high = width
            else:
                low, high = Measurement.get(console, options, cell)
                low, high = min(low + extra, width), min(high + extra, width)
            least.append(low)
            most.append(high)
        measured = Measurement(max(least) if least else 1, max(most) if most else width)
        return measured.with_maximum(width).clamp(
            None if column.min_width is None else column.min_width + extra,
            None if column.max_width is None else column.max_width + extra,
        )

    def _render(self, console, options, widths):
        if not self._plain():
            yield from super()._render(console, options, widths)
            return
        sides = [self._sides(i) for i in range(len(self.columns))]
        if any(w - left - right < 1 for w, (left, right) in zip(widths, sides)):
            yield from super()._render(console, options, widths)
            return
        for row in range(self.row_count):
            drawn = []
            for column, width, (left, right) in zip(self.columns, widths, sides):
                cell = column._cells[row]
                style = console.get_style(column.style or "")
                inner = options.update(
                    width=width - left - right,
                    justify=column.justify,
                    no_wrap=column.no_wrap,
                    overflow=column.overflow,
                    height=None,
                    highlight=column.highlight,
                )
                lines = console.render_lines(cell, inner, style=style)
                vertical = getattr(cell, "vertical", None) or column.vertical
                drawn.append((lines, vertical, style, width, left, right))
            height = max(len(d[0]) for d in drawn)
            shaped = []
            for lines, vertical, style, width, left, right in drawn:
                before = [Segment(" " * left, style)] if left else []
                after = [Segment(" " * right, style)] if right else []
                align = {"top": Segment.align_top, "middle": Segment.align_middle}.get(
                    vertical, Segment.align_bottom
                )
                padded = [before + line + after for line in lines]
                shaped.append(align(padded, width, height, style))
            for line in range(height):
                for cell_lines in shaped:
                    yield from cell_lines[line]
                yield Segment.line()
