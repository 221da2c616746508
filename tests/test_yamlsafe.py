"""Tests for tutor.problems.yamlsafe: plain string data, line numbers, and quick refusals."""

from __future__ import annotations

import time

import pytest
import yaml

from tutor.errors import ProblemError
from tutor.problems import yamlsafe
from tutor.problems.yamlsafe import load_yaml

SAMPLE = """\
# a comment
graph:
  z: x*w
  w:
lr: 1e-3
flags: [no, true, 0.1, "null", null, ~, Null, '']
published:
  - a
  -
  - {k: v}
"""


@pytest.fixture(params=["libyaml", "pure"])
def limit(request, monkeypatch):
    """Run a test with libyaml's parser and with PyYAML's pure-Python fallback.

    Returns the time limit in seconds: 0.5 with libyaml (what we ship with);
    the pure-Python parser is about 10x slower on 100k events, so only a loose
    bound is checked for it.
    """
    if request.param == "pure":
        monkeypatch.setattr(yamlsafe, "_Loader", yaml.SafeLoader)
        return 5.0
    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("libyaml not available")
    return 2.0  # a safety bound (no hang), generous for a busy machine


def refused(text: str, limit: float = 2.0) -> ProblemError:
    # CPU time: a hang guard that other processes on a busy machine do not trip
    start = time.process_time()
    with pytest.raises(ProblemError) as info:
        load_yaml(text, "p.yaml")
    assert time.process_time() - start < limit
    err = info.value
    assert err.file == "p.yaml"
    assert "\n" not in str(err)
    return err


def test_plain_data_all_strings(limit):
    doc = load_yaml(SAMPLE, "p.yaml")
    assert doc.file == "p.yaml"
    assert doc.data == {
        "graph": {"z": "x*w", "w": None},
        "lr": "1e-3",
        "flags": ["no", "true", "0.1", "null", None, None, None, ""],
        "published": ["a", None, {"k": "v"}],
    }
    assert list(doc.data) == ["graph", "lr", "flags", "published"]


def test_lines(limit):
    doc = load_yaml(SAMPLE)
    assert doc.line(()) == 1
    assert doc.line(("graph", "z")) == 3
    assert doc.line(("graph", "w")) == 4  # empty value: the key's line
    assert doc.line(("lr",)) == 5
    assert doc.line(("flags", 4)) == 6
    assert doc.line(("published", 0)) == 8
    assert doc.line(("published", 2, "k")) == 10
    # a block collection value starts on the line after its key
    assert doc.line(("graph",)) == 3 and doc.key_line(("graph",)) == 2
    assert doc.key_line(("published", 2, "k")) == 10
    assert doc.line(("nope",)) is None and doc.key_line(("published", 0)) is None


def test_empty_and_scalar_documents(limit):
    assert load_yaml("").data is None
    assert load_yaml("# only a comment\n").data is None
    assert load_yaml("---\n").data is None
    assert load_yaml("true").data == "true"
    assert load_yaml("'<<': x\n").data == {"<<": "x"}  # quoted: not a merge key
    assert load_yaml("1: one\ntrue: yes\n").data == {"1": "one", "true": "yes"}


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("a: 1\nb: c: d\n", "YAML syntax error: mapping values are not allowed", 2),
        ("a: 'open\n", "YAML syntax error", 2),
        ("a: 1\nb: \x01\n", "YAML syntax error", 2),
        ("a: !!str 1\n", "YAML tags are not allowed (!!str)", 1),
        ("a: 1\nb: !custom x\n", "YAML tags are not allowed (!custom)", 2),
        ("a: !!binary aGk=\n", "YAML tags are not allowed (!!binary)", 1),
        ("a: !!map {}\n", "YAML tags are not allowed (!!map)", 1),
        ("a: 1\nb: &x 2\n", "YAML anchors and aliases are not allowed", 2),
        ("a: *x\n", "YAML anchors and aliases are not allowed", 1),
        ("a: 1\n<<: {b: 2}\n", "YAML anchors and aliases are not allowed", 2),
        ("x: 1\nz: 2\ny: 3\nz: 4\n", "duplicate key 'z' (first at line 2)", 4),
        ("? [a, b]\n: 1\n", "mapping keys must be strings", 1),
        ("{a: 1}: 2\n", "mapping keys must be strings", 1),
        ("a: 1\n~: 2\n", "mapping keys must be strings, not null", 2),
        ("a: 1\n---\nb: 2\n", "only one YAML document", 2),
        ("{a: " * 1000 + "1" + "}" * 1000, "YAML nested too deeply (more than 20 levels)", 1),
        ("[" * 100000, "YAML nested too deeply (more than 20 levels)", 1),
        ("[" * 21 + "]" * 21, "YAML nested too deeply", 1),
    ],
)
def test_refusals(limit, text, message, line):
    err = refused(text, limit)
    assert message in err.message
    assert err.line == line


def test_depth_limit_is_exact(limit):
    assert load_yaml("[" * 20 + "]" * 20).data is not None
    deep = "".join(f"{'  ' * i}k{i}:\n" for i in range(20)) + "  " * 20 + "v\n"
    assert load_yaml(deep).line(tuple(f"k{i}" for i in range(20))) == 21
    refused(deep.replace("v\n", "- v\n"), limit)


def test_tag_refused_and_nothing_executed(limit, monkeypatch):
    import os

    calls = []
    monkeypatch.setattr(os, "system", lambda cmd: calls.append(cmd))
    err = refused('a: !!python/object/apply:os.system ["echo hi"]\n', limit)
    assert "YAML tags are not allowed (!!python/object/apply:os.system)" in err.message
    assert calls == []


def test_billion_laughs(limit):
    lol = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lol.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    err = refused("\n".join(lol) + "\n", limit)
    assert "anchors and aliases" in err.message and err.line == 1


def test_too_large(limit):
    err = refused("a" * (1024 * 1024 + 1), limit)
    assert err.message == "problem file too large (1048577 bytes, at most 1048576)"
    assert err.line is None
    # counted in UTF-8 bytes, not characters
    refused("é" * (512 * 1024 + 1), limit)


def _pure() -> bool:
    return yamlsafe._Loader is yaml.SafeLoader


def test_too_many_events(limit, monkeypatch):
    # the pure-Python parser is checked against a lower limit: the same count, 10x less time
    if _pure():
        monkeypatch.setattr(yamlsafe, "MAX_EVENTS", 10_000)
    items = 2 * yamlsafe.MAX_EVENTS
    text = "[" + "1," * items + "1]"
    assert len(text) < 1024 * 1024
    err = refused(text, limit)
    assert "too many YAML nodes" in err.message and err.line == 1


def test_large_but_acceptable_input_is_fast(limit):
    n = 2000 if _pure() else 20000  # 40k scalars with libyaml; the pure parser is 10x slower
    text = "".join(f"k{i}: v{i}\n" for i in range(n))
    start = time.process_time()
    doc = load_yaml(text)
    assert time.process_time() - start < limit
    assert len(doc.data) == n and doc.line((f"k{n - 1}",)) == n


# --------------------------------------------------------------------------- other people's text

CONTROLS = [
    "\x1b]0;pwned\x07",  # OSC: sets the window title
    "\x1b[2J",  # CSI: clears the screen
    "\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\",  # OSC 8: a hyperlink
    "\x9b1m",  # C1 CSI
    "\x9d0;t\x9c",  # C1 OSC ... ST
    "\x7f\x00\r\x08\x85",  # DEL, NUL, carriage return, backspace, NEL
    "\u202e\u202a\u2066\u2069\u200f",  # bidi override, embedding, isolates, RLM
]


def test_control_and_bidi_characters_are_stripped_from_keys_and_values(limit):
    """Issue 23: ESC sequences written as YAML escapes ("\\e[2J", "\\x9b") or bidi overrides
    written raw would reach a terminal from any view of the text; they are gone at read time.
    Tab and newline stay."""
    text = (
        'title: "A\\e]0;pwned\\a\\e[2J\\x9b1m\\x9d0;t\\x9c\\x7f\\0\\r\\b\\N title\\t(tab)\\nline 2"\n'
        'raw: "\u202eevil\u2066 \u200fmark"\n'
        '"k\\e[1m": [a, "\\e]8;;http://evil.example\\e\\\\link\\e]8;;\\e\\\\"]\n'
        "plain: x\\y\n"
    )
    data = load_yaml(text, "p.yaml").data
    assert data == {
        "title": "A]0;pwned[2J1m0;t title\t(tab)\nline 2",
        "raw": "evil mark",
        "k[1m": ["a", "]8;;http://evil.example\\link]8;;\\"],  # ESC \\ ends OSC 8: \\ stays
        "plain": "x\\y",
    }
    for value in (data["title"], data["raw"], *data["k[1m"]):
        assert yamlsafe.strip_controls(value) == value
    for control in CONTROLS:  # what is left of each is printable text
        assert (
            yamlsafe.strip_controls(f"a{control}b")
            == "a" + "".join(c for c in control if c.isprintable()) + "b"
        )


def test_text_without_escapes_or_such_characters_is_kept_as_written(limit):
    text = "t: '中文 ½ x_i > 0 ∂L/∂w · — “quoted”'\n"
    assert load_yaml(text).data == {"t": "中文 ½ x_i > 0 ∂L/∂w · — “quoted”"}


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: 1\n" + "k" * 100_000 + ": 1\n", 2),  # a block mapping's key
        ("a: {" + "k" * 100_000 + ": 1}\n", 1),  # a flow mapping's
        ("a:\n  '" + "k" * 100_000 + "': 1\n", 2),  # quoted
        ("a:\n  - " + "k" * 100_000 + ": 1\n", 2),  # in a list
        ("a: [" + "k" * 100_000 + ": 1]\n", 1),
    ],
)
def test_a_key_longer_than_yaml_reads_is_a_name_too_long(limit, text, line):
    """libyaml reads a key of at most 1024 characters on one line and calls a longer one a
    syntax error ("mapping values are not allowed"): the line says what is wrong instead."""
    err = refused(text, limit)
    assert err.message == "name too long (100,000 characters, at most 40)"
    assert err.line == line


def test_a_syntax_error_near_a_short_key_is_still_a_syntax_error(limit):
    err = refused("a: b: c\n", limit)
    assert err.message.startswith("YAML syntax error")


def test_libyaml_parser_where_built_else_pure(limit):
    """The event stream comes from libyaml's C parser where PyYAML has it (marks included),
    else from PyYAML's own parser; both give the same lines."""
    parser = yamlsafe._parser("a: [1, 2]\n")
    if _pure():
        assert isinstance(parser, yaml.SafeLoader)
    else:
        from yaml._yaml import CParser

        assert isinstance(parser, CParser)
    doc = load_yaml("a:\n  - [1, 2]\n  - {b: 3}\n")
    assert doc.line(("a", 0, 1)) == 2 and doc.line(("a", 1, "b")) == 3
    assert doc.key_line(("a", 1, "b")) == 3
