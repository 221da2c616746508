"""`FastTable`: rich's Table (and `FastTable.grid`, its borderless grid), drawn with less work.

rich draws each cell of a table through a `Padding` renderable: a cell is measured inside
one, rendered inside one, and its lines are split and cropped twice. A worked solution draws
thousands of cells (a tensor solution hundreds of small grids), and that second layer was a
third of their cost. `FastTable` measures and renders each cell's content itself, adding
the spaces that padding would add, and leaves the rest to rich (the column widths, the
borders, the rows' styles), so the output is the same, segment for segment:
tests/test_tables.py compares random tables and grids with rich's own, in colour.
"""

from __future__ import annotations

from rich._pick import pick_bool
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table

ALIGN = {"top": Segment.align_top, "middle": Segment.align_middle, "bottom": Segment.align_bottom}


class FastTable(Table):
    """A rich Table; a column of fixed width, or a cell with padding above or below it, is
    measured or drawn by rich as before."""

    def _sides(self, index: int) -> tuple[int, int]:
        """The spaces rich puts left and right of a cell of column `index` (`_get_cells`);
        they do not depend on the row."""
        _, right, _, left = self.padding
        if self.collapse_padding and index:
            left = max(0, left - right)
        if not self.pad_edge:
            left = 0 if index == 0 else left
            right = 0 if index == len(self.columns) - 1 else right
        return left, right

    def _measure_column(self, console, options, column):
        if column.width is not None:
            return super()._measure_column(console, options, column)
        width = options.max_width
        if width < 1:
            return Measurement(0, 0)
        left, right = self._sides(column._index)
        extra = left + right
        cells = [column.header] if self.show_header else []
        cells += column._cells
        cells += [column.footer] if self.show_footer else []
        least, most = [], []
        for cell in cells:  # each as `Padding.__rich_measure__` measures it
            if width - extra < 1:
                low = high = width
            else:
                low, high = Measurement.get(console, options, cell)
                low, high = min(low + extra, width), min(high + extra, width)
            least.append(low)
            most.append(high)
        measured = Measurement(max(least) if least else 1, max(most) if most else width)
        limit = self._get_padding_width(column._index)  # rich's own sum, not always `extra`
        return measured.with_maximum(width).clamp(
            None if column.min_width is None else column.min_width + limit,
            None if column.max_width is None else column.max_width + limit,
        )

    def _render(self, console, options, widths):
        """rich's `Table._render` (rich 13–15), but for the lines of each cell (`_cell_lines`)."""
        table_style = console.get_style(self.style or "")
        border_style = table_style + console.get_style(self.border_style or "")
        column_cells = (
            self._get_cells(console, column_index, column)
            for column_index, column in enumerate(self.columns)
        )
        row_cells = list(zip(*column_cells))
        box = (
            self.box.substitute(options, safe=pick_bool(self.safe_box, console.safe_box))
            if self.box
            else None
        )
        box = box.get_plain_headed_box() if box and not self.show_header else box
        new_line = Segment.line()
        columns = self.columns
        show_header, show_footer = self.show_header, self.show_footer
        show_edge, show_lines, leading = self.show_edge, self.show_lines, self.leading
        get_style = console.get_style
        if box:
            box_segments = [
                (
                    Segment(box.head_left, border_style),
                    Segment(box.head_right, border_style),
                    Segment(box.head_vertical, border_style),
                ),
                (
                    Segment(box.mid_left, border_style),
                    Segment(box.mid_right, border_style),
                    Segment(box.mid_vertical, border_style),
                ),
                (
                    Segment(box.foot_left, border_style),
                    Segment(box.foot_right, border_style),
                    Segment(box.foot_vertical, border_style),
                ),
            ]
            if show_edge:
                yield Segment(box.get_top(widths), border_style)
                yield new_line
        else:
            box_segments = []
        last_index = len(row_cells) - 1
        for index, row_cell in enumerate(row_cells):
            first, last = index == 0, index == last_index
            header_row = first and show_header
            footer_row = last and show_footer
            row = self.rows[index - show_header] if not header_row and not footer_row else None
            if header_row or footer_row:
                row_style = Style.null()
            else:
                row_style = get_style(
                    self.get_row_style(console, index - 1 if show_header else index)
                )
            styles = [get_style(cell.style) + row_style for cell in row_cell]
            cells = [
                self._cell_lines(console, options, cell, column, width, style)
                for width, cell, column, style in zip(widths, row_cell, columns, styles)
            ]
            row_height = max(len(lines) for lines in cells)  # rich aligns to it, and
            max_height = max(1, row_height)  # shapes to at least one line
            shaped = []
            for width, cell, lines, style in zip(widths, row_cell, cells, styles):
                vertical = "bottom" if header_row else "top" if footer_row else cell.vertical
                shaped.append(
                    Segment.set_shape(
                        ALIGN.get(vertical, Segment.align_bottom)(lines, width, row_height, style),
                        width,
                        max_height,
                    )
                )
            if box:
                if last and show_footer:
                    yield Segment(box.get_row(widths, "foot", edge=show_edge), border_style)
                    yield new_line
                left, right, divider = box_segments[0 if first else (2 if last else 1)]
                if not divider.text.strip():  # a blank divider takes the row's background
                    divider = Segment(divider.text, row_style.background_style + divider.style)
                for line in range(max_height):
                    if show_edge:
                        yield left
                    for k, lines in enumerate(shaped):
                        yield from lines[line]
                        if k < len(shaped) - 1:
                            yield divider
                    if show_edge:
                        yield right
                    yield new_line
            else:
                for line in range(max_height):
                    for lines in shaped:
                        yield from lines[line]
                    yield new_line
            if box and first and show_header:
                yield Segment(box.get_row(widths, "head", edge=show_edge), border_style)
                yield new_line
            end_section = row and row.end_section
            if box and (show_lines or leading or end_section):
                if (
                    not last
                    and not (show_footer and index >= len(row_cells) - 2)
                    and not (show_header and header_row)
                ):
                    if leading:
                        yield Segment(
                            box.get_row(widths, "mid", edge=show_edge) * leading, border_style
                        )
                    else:
                        yield Segment(box.get_row(widths, "row", edge=show_edge), border_style)
                    yield new_line
        if box and show_edge:
            yield Segment(box.get_bottom(widths), border_style)
            yield new_line

    @staticmethod
    def _cell_lines(console, options, cell, column, width: int, style) -> list:
        """A cell's lines at `width`: its content rendered at the width inside its padding,
        the padding's spaces beside it (as rich's `Padding`, one layer fewer)."""
        padding = cell.renderable  # rich wraps a cell in a Padding where the table pads
        fitted = options.update(
            width=width,
            justify=column.justify,
            no_wrap=column.no_wrap,
            overflow=column.overflow,
            height=None,
            highlight=column.highlight,
        )
        if not isinstance(padding, Padding):
            return console.render_lines(padding, fitted, style=style)
        inner = width - padding.left - padding.right
        if padding.top or padding.bottom or inner < 1 or not padding.expand:
            return console.render_lines(padding, fitted, style=style)  # rich's way
        lines = console.render_lines(padding.renderable, fitted.update_width(inner), style=style)
        before = [Segment(" " * padding.left, style)] if padding.left else []
        after = [Segment(" " * padding.right, style)] if padding.right else []
        return [before + line + after for line in lines]
