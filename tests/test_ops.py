"""The op table (tutor/ops.py): it is the one place that holds a backward rule, and no module
reads rule strings back (the views print the rule trees, `--at` expands them by the table's
index forms)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tutor.registry import ops

TUTOR = Path(__file__).parent.parent / "tutor"
# ops that exist only inside rules: a string holding one of these calls is a rule written
# outside the table
RULE_ONLY = [name for name, spec in ops.OPS.items() if not spec.user and not spec.elementwise]
RULE_CALL = re.compile(r"(?<!\w)(" + "|".join([*RULE_ONLY, "route", "share"]) + r")\(")
NOTATION = set("⊙⊘ᵀδ∂")  # what only a printed rule contains (Σ is an index form's too)
STRING_READERS = {
    "split",
    "rsplit",
    "partition",
    "rpartition",
    "startswith",
    "endswith",
    "replace",
    "find",
    "rfind",
    "index",
    "count",
    "strip",
    "lstrip",
    "rstrip",
}
REGEX_READERS = {"compile", "sub", "subn", "search", "match", "fullmatch", "finditer", "findall"}


def _docstrings(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                out.add(id(body[0].value))
    return out


def rule_text_found(source: str, printer: bool = False) -> list[str]:
    """Rules written outside the table (a string with a rule-only op's call, an f-string
    building ⊙/ᵀ products) and rule strings read back (a str method or a regex over
    δ, ⊙, ⊘, ᵀ, ∂); `printer`: the notation's own printer may build ⊙ and ᵀ."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if RULE_CALL.search(node.value):
                found.append(f"{node.lineno}: a rule's text {node.value[:40]!r}")
        if isinstance(node, ast.JoinedStr) and not printer:
            parts = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if set("⊙⊘ᵀ") & set(parts):
                found.append(f"{node.lineno}: a rule built as text {parts!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            texts = [
                a.value
                for a in node.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            read = [t for t in texts if NOTATION & set(t)]
            f = node.func
            regex = isinstance(f.value, ast.Name) and f.value.id == "re" and f.attr in REGEX_READERS
            if read and (f.attr in STRING_READERS or regex):
                found.append(f"{node.lineno}: reads rule text with {f.attr}{read}")
    return found


def test_no_module_but_the_op_table_holds_a_rule_or_reads_one_back():
    found = []
    for path in sorted(TUTOR.rglob("*.py")):
        if path.relative_to(TUTOR).as_posix() == "registry/ops.py":
            continue
        text = path.read_text(encoding="utf-8")
        found += [
            f"{path.name}:{f}"
            for f in rule_text_found(
                text, path.relative_to(TUTOR).as_posix() == "language/matrix_expr.py"
            )
        ]
    assert found == []


def test_the_check_finds_what_the_old_views_did():
    """What tensor_rules and tensor_render's _entry_terms did before the rules were data."""
    old = """
_STRUCTURAL = {"conv2d": ("full_conv({g}, flip({k}))", "corr({x}, {g})")}
def _times(g, t):
    return f"{g} ⊙ {t}"
def entry(text):
    t = re.sub(r"δ\\((\\w+)\\)", hold, text)
    return t.replace(" ⊙ ", " · ")
"""
    found = rule_text_found(old)
    assert len(found) == 5, found


def test_every_op_has_an_index_form_and_the_rule_only_ops_no_user_name():
    from tutor.language.matrix_expr import tensor_functions

    for name, spec in ops.OPS.items():
        assert spec.entry, name
    assert not set(RULE_ONLY) & set(tensor_functions())
