"""Tests for the HTML export (tutor.views.html), read back with Python's HTML parser.

The page must hold the same sections and tables as the Markdown export (both are read back
with their own parser and compared), be self-contained (no script, nothing fetched), keep its
CSS scoped, and its MathML must stay within MathML Core (the subset Chromium lays out).
The browser itself is tests/test_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import shared
from cli_runner import invoke
from test_export import agrees, parse, tables
from typer.testing import CliRunner

from tutor import api
from tutor.cli import app
from tutor.problems import catalog
from tutor.views import document as export
from tutor.views import html as html_export

ALL = [f.stem for f in catalog.builtin_files()]  # every kind (a tensor one: matrix_document)

# MathML Core (W3C, 2023): its elements, and the attributes it gives them beyond the global
# ones (class, id, style, dir, ...). `mathvariant` is only for <mi>, and only "normal".
CORE_ELEMENTS = {
    "math",
    "annotation",
    "annotation-xml",
    "maction",
    "merror",
    "mfrac",
    "mi",
    "mmultiscripts",
    "mn",
    "mo",
    "mover",
    "mpadded",
    "mphantom",
    "mprescripts",
    "mroot",
    "mrow",
    "ms",
    "mspace",
    "msqrt",
    "mstyle",
    "msub",
    "msubsup",
    "msup",
    "mtable",
    "mtd",
    "mtext",
    "mtr",
    "munder",
    "munderover",
    "semantics",
}
CORE_ATTRIBUTES = {
    "display",
    "displaystyle",
    "scriptlevel",
    "mathcolor",
    "mathbackground",
    "mathsize",
    "dir",
    "class",
    "id",
    "style",
    "fence",
    "form",
    "largeop",
    "lspace",
    "rspace",
    "maxsize",
    "minsize",
    "movablelimits",
    "separator",
    "stretchy",
    "symmetric",
    "accent",
    "accentunder",
    "linethickness",
    "width",
    "height",
    "depth",
    "voffset",
    "columnspan",
    "rowspan",
    "mathvariant",
    "encoding",
    "intent",
    "arg",
}


class Page(HTMLParser):
    """Every element (tag, attributes, inside <math>?), the text of every table cell by
    table, the headings, and the <style> text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict, bool]] = []
        self.headings: list[tuple[str, str]] = []
        self.tables: list[dict] = []
        self.style = ""
        self._math = 0
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._heading: list | None = None
        self._in_style = False
        self._head = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs, self._math > 0 or tag == "math"))
        if tag == "math":
            self._math += 1
        elif tag == "style":
            self._in_style = True
        elif tag in ("h1", "h2", "h3"):
            self._heading = [tag, ""]
        elif tag == "table":
            title = self.headings[-1][1] if self.headings else ""
            self.tables.append({"title": title, "header": [], "rows": []})
        elif tag == "thead":
            self._head = True
        elif tag == "tbody":
            self._head = False
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "math":
            self._math -= 1
        elif tag == "style":
            self._in_style = False
        elif tag in ("h1", "h2", "h3") and self._heading:
            self.headings.append((self._heading[0], self._heading[1].strip()))
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            t = self.tables[-1]
            (t["header"].extend if self._head else t["rows"].append)(self._row)
            self._row = None

    def handle_data(self, data):
        if self._in_style:
            self.style += data
        if self._cell is not None and not self._math:
            self._cell.append(data)
        if self._heading is not None and not self._math:
            self._heading[1] += data


@pytest.fixture(scope="module")
def pages() -> dict:
    return {
        (pid, lang): api.Result(shared.solved(pid), lang).html(page=True)  # any kind's page
        for pid in ALL
        for lang in ("en", "zh")
    }


def test_every_page_is_self_contained_with_no_script_and_nothing_fetched(pages):
    for (pid, lang), text in pages.items():
        page = Page(text)
        tags = {tag for tag, _, _ in page.elements}
        assert "script" not in tags and "link" not in tags and "img" not in tags, pid
        assert not re.search(r"\b(src|srcset)=", text), pid
        assert not re.search(r"https?://", text), pid  # no address at all, not even xmlns
        assert "@import" not in page.style and "url(" not in page.style
        assert text.startswith("<!DOCTYPE html>")
        assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}">' in text


def test_css_is_scoped_to_its_element_and_has_a_dark_variant(pages):
    style = Page(pages[("ex2", "en")]).style
    assert "@media (prefers-color-scheme: dark)" in style
    body = re.sub(r"@media[^{]*\{", "", style)
    selectors = [s.strip() for rule in re.findall(r"([^{}]+)\{", body) for s in rule.split(",")]
    assert selectors and all(s.startswith(".bptutor") for s in selectors), selectors


def test_mathml_stays_within_mathml_core(pages):
    seen = set()
    for (pid, _lang), text in pages.items():
        for tag, attrs, in_math in Page(text).elements:
            if not in_math:
                continue
            seen.add(tag)
            assert tag in CORE_ELEMENTS, (pid, tag)
            assert set(attrs) <= CORE_ATTRIBUTES, (pid, tag, attrs)
            if "mathvariant" in attrs:
                assert tag == "mi" and attrs["mathvariant"] == "normal", (pid, tag, attrs)
    assert {"math", "mfrac", "msub", "mi", "mn", "mo"} <= seen


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("pid", ["ex1", "ex2", "ex4", "ex6", "ex15"])
def test_same_sections_and_tables_as_the_markdown(pid, lang, pages):
    page = Page(pages[(pid, lang)])
    md = shared.markdown(pid, lang)
    md_headings = [
        (f"h{len(m.group(1))}", m.group(2)) for m in re.finditer(r"^(#{1,3}) (.*)$", md, re.M)
    ]
    # the same headings in the same order (math in a heading is MathML, so compare levels
    # and the words around it)
    assert [h[0] for h in page.headings] == [h[0] for h in md_headings]
    for (_, got), (_, want) in zip(page.headings, md_headings):
        words = re.sub(r"\$[^$]*\$", "", want).strip()
        assert got.strip() == words
    md_tables = tables(parse(md))
    assert len(page.tables) == len(md_tables)
    for got, want in zip(page.tables, md_tables):
        assert len(got["rows"]) == len(want["rows"])
        for row_got, row_want in zip(got["rows"], want["rows"]):
            for a, b in zip(row_got, row_want):
                if "$" not in b:  # text and numbers the same (code without its backticks)
                    assert a == b.replace("\\|", "|"), (pid, a, b)


def test_ex2_numbers_in_the_page_match_a_hand_derivation():
    page = Page(html_export.solution_page(shared.solved("ex2")))
    by_title = {t["title"]: t for t in page.tables}
    fwd = {r[0]: r[3] for r in by_title["Forward pass"]["rows"]}
    for name, value in {"z": 3, "h": 3, "yhat": 6, "L": 8}.items():
        assert agrees(fwd[name], value)
    grads = {r[1]: r[2] for r in by_title["Gradients"]["rows"]}
    for name, value in {"w1": 8, "w2": 16, "b1": 8, "w3": 12, "b2": 4}.items():
        assert agrees(grads[name], value)


def test_marks_are_coloured_and_text_is_escaped():
    assert '<span class="bp-ok">✓</span>' in html_export.solution_page(shared.solved("ex2"))
    assert (
        html_export.inline(("a < b & c", export.Code("<x>")))
        == "a &lt; b &amp; c<code>&lt;x&gt;</code>"
    )


def test_handout_has_no_answers_and_the_key_has_them():
    solution = shared.solved("ex2")
    handout = Page(html_export.handout_page(solution.problem))
    assert [t["title"] for t in handout.tables] == ["Given"]
    assert [h for _, h in handout.headings] == [
        "ex2: Two inputs, one hidden ReLU unit, linear output",
        "Given",
    ]
    assert "<math" not in "".join(
        p for p in re.findall(r"<p>.*?</p>", html_export.handout_page(solution.problem))
    )
    key = Page(html_export.key_page(solution))
    assert key.headings[0][1].endswith("— answer key")
    assert "Gradients" in [t["title"] for t in key.tables]


# --------------------------------------------------------------------------- CLI


runner = CliRunner()


def test_cli_export_html_to_a_file_and_in_chinese(tmp_path):
    out = tmp_path / "ex2.html"
    result = runner.invoke(app, ["export", "ex2", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0
    assert Page(out.read_text(encoding="utf-8")).headings[1] == ("h2", "Given")
    result = runner.invoke(app, ["export", "ex2", "-f", "html", "--lang", "zh"])
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    assert ("h2", "已知") in Page(result.stdout).headings


def test_cli_export_all_html_writes_every_page_and_a_linked_index(tmp_path):
    folder = tmp_path / "site"
    run = invoke("export", "--all", "--format", "html", "-o", str(folder))
    assert run.returncode == 0, run.stderr
    assert sorted(p.stem for p in folder.glob("*.html")) == sorted(ALL + ["index"])
    index = (folder / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == [f"{pid}.html" for pid in ALL]
    assert all((folder / link).is_file() for link in links)


def test_cli_statement_only_writes_the_handout_and_its_answer_key(tmp_path):
    out = tmp_path / "ex2.html"
    run = invoke("export", "ex2", "-f", "html", "--statement-only", "-o", str(out))
    assert run.returncode == 0, run.stderr
    key = tmp_path / "ex2.key.html"
    assert "Gradients" not in out.read_text(encoding="utf-8")
    assert "Gradients" in key.read_text(encoding="utf-8")
    md = tmp_path / "hand.md"
    assert invoke("export", "ex3", "--statement-only", "-o", str(md)).returncode == 0
    assert (tmp_path / "hand.key.md").read_text(encoding="utf-8").startswith("# ex3: ")
    folder = tmp_path / "class"
    assert (
        invoke("export", "--all", "-f", "html", "--statement-only", "-o", str(folder)).returncode
        == 0
    )
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert 'href="ex2.html"' in index and 'href="ex2.key.html"' in index
    assert "Forward pass" not in (folder / "ex4.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["export", "ex2", "--format", "pdf"], "unknown format 'pdf'"),
        (["export", "ex2", "--statement-only"], "--statement-only needs -o FILE"),
    ],
)
def test_cli_export_html_bad_input_exits_2_with_one_line(args, message):
    run = invoke(*args)
    assert run.returncode == 2 and message in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_html_pages_are_written_as_utf8(tmp_path):
    out = tmp_path / "zh.html"
    assert invoke("export", "ex2", "-f", "html", "-l", "zh", "-o", str(out)).returncode == 0
    assert "前向传播" in Path(out).read_bytes().decode("utf-8")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", ["scalar", "tensor"])
def test_a_hostile_files_text_is_text_in_the_page_as_in_the_markdown(kind, lang):
    """Issue 23: the HTML export escaped every payload already; it stays so, for the scalar
    and the tensor writer: no element or attribute from a file, the payloads as text."""
    from test_export import FIXTURES, PAYLOADS

    from tutor.problems.loader import load_problem
    from tutor.solutions import explain
    from tutor.views import matrix_document as tensor_export

    path = FIXTURES / ("hostile.yaml" if kind == "scalar" else "tensor/hostile.yaml")
    problem = load_problem(path)
    if kind == "scalar":
        text = html_export.solution_page(explain.solve(problem), lang)
    else:
        from tutor.engine.matrix_solve import solve

        text = tensor_export.html(solve(problem), lang)
    page = Page(text)
    tags = {tag for tag, _, _ in page.elements}
    assert not tags & {"script", "iframe", "img", "svg", "details", "b", "a"}, tags
    for tag, attrs, _ in page.elements:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert not any("javascript:" in (value or "") for value in attrs.values()), (tag, attrs)
    shown = html_export.unescape(re.sub(r"<[^>]*>", "", text))
    for payload in (PAYLOADS[lang][0], "<script>alert(1)</script>", '<iframe src="javascript:'):
        assert payload in shown, payload
