"""docs/tutorial.ipynb: stored without outputs, and every cell runs, top to bottom, on a real
IPython kernel (nbclient); what it shows is the API's notebook output (HTML with MathML, SVG
or text), never terminal escape codes."""

from __future__ import annotations

import json
import re
import shutil

import shared
from test_browser import browser, check_math, open_page, screenshot  # noqa: F401 (a fixture)


def test_tutorial_is_stored_without_outputs():
    notebook = json.loads(shared.TUTORIAL.read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 10
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]


def test_tutorial_runs_top_to_bottom_and_renders_rich_output():
    notebook = shared.executed_tutorial()  # raises if any cell fails
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o.data["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert html and all(h.startswith('<div class="bptutor"') for h in html)
    assert sum("<math" in h for h in html) >= 4  # ex2, ex1, one's own, Adam
    for o in outputs:
        for value in list(o.get("data", {}).values()) + [o.get("text", "")]:
            assert "\x1b[" not in str(value)  # no terminal escape codes
    graph = next(c for c in code if c.source.strip() == "result.graph()")
    assert len(graph.outputs) == 1  # the graph itself, nothing printed on the side
    data = graph.outputs[0].data
    if shutil.which("dot"):
        assert data["image/svg+xml"].lstrip().startswith("<svg")
    assert "w1 = 1  grad 8" in data["text/plain"]


# the notebook in Chromium here, where it has been executed already (one run per file)
def test_tutorial_notebook_as_html_in_chromium(browser, tmp_path):
    """The executed tutorial, through nbconvert, opened for a screenshot; its outputs' math
    is the API's MathML and lays out. (nbconvert's page would fetch MathJax and RequireJS
    from the network for the Markdown cells; those two scripts are left out.)"""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(shared.executed_tutorial())
    body = re.sub(r'<script[^>]*\ssrc="https?://[^"]*"[^>]*>\s*</script>', "", body)
    assert not re.search(r'\ssrc="https?://', body)
    page = shared.SCREENSHOTS / "tutorial.html"
    shared.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.write_text(body, encoding="utf-8")
    open_page(browser, page)  # nbconvert's own scripts may complain without MathJax
    assert check_math(browser, "tutorial") >= 40
    graphs = "return document.querySelectorAll('svg, img[src^=\"data:image/svg\"]').length"
    assert browser.execute_script(graphs) >= 1  # the computation graph, drawn by Graphviz
    assert screenshot(browser, "tutorial").stat().st_size > 20_000
