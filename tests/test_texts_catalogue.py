"""The message catalogue is the only place with Chinese text: every other module of tutor/
asks for its sentences by key (tutor/text/). Problem YAML files are data and keep theirs."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tutor

PACKAGE = Path(tutor.__file__).parent
CJK = re.compile("[\u3000-\u9fff\uff00-\uffef]")  # CJK symbols, ideographs, full-width forms


def chinese_constants(source: str, filename: str) -> list[str]:
    """`line: text` of every string constant (docstrings and f-string pieces too) with a
    CJK character."""
    tree = ast.parse(source, filename)
    hits = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)
    ]
    return [f"{node.lineno}: {node.value[:40]!r}" for node in sorted(hits, key=lambda n: n.lineno)]


def test_the_check_finds_chinese_wherever_python_keeps_a_string():
    source = 'X = "损失"\ny = f"{X}：{1}"\ndef f():\n    """见上"""\nZ = "\\uff1b"\nok = "a, b"'
    found = chinese_constants(source, "<test>")
    assert [line.split(":")[0] for line in found] == ["1", "2", "4", "5"]


def test_no_module_outside_the_catalogue_contains_chinese_text():
    modules = [p for p in PACKAGE.rglob("*.py") if "text" not in p.relative_to(PACKAGE).parts[:1]]
    assert len(modules) > 50  # the whole package was walked
    found = {
        str(p.relative_to(PACKAGE)): hits
        for p in modules
        if (hits := chinese_constants(p.read_text(encoding="utf-8"), str(p)))
    }
    assert not found, found
