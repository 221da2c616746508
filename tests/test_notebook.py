"""docs/tutorial.ipynb: stored without outputs, and every cell runs, top to bottom, on a real
IPython kernel (nbclient); what it shows is the API's notebook output (HTML with MathML, SVG
or text), never terminal escape codes."""

from __future__ import annotations

import json
import shutil

import shared


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
