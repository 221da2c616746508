"""A small, hostile-input-proof YAML loader for problem files.

Problem files are written by other people, so they are untrusted.  Instead of
`yaml.safe_load` (recursive, resolves YAML 1.1 types such as `no` -> False or
`1e-3` -> str but `0.1` -> float, expands aliases) we walk PyYAML's *event*
stream, which libyaml produces iteratively, and build plain data ourselves with
an explicit stack.  That lets us:

* keep every scalar a string (our own code converts values later); only a plain
  `~` / `null` / `Null` / `NULL` / empty scalar becomes None;
* record a 1-based line for every value and every mapping key, so later errors
  can say file:line;
* refuse, before anything is composed or constructed, tags, anchors/aliases
  and merge keys (no billion laughs, no `!!python/...`), nesting deeper than
  MAX_DEPTH, more than MAX_EVENTS events, duplicate or non-string keys,
  several documents and texts larger than MAX_BYTES;
* strip, from every key and value, the characters that steer a terminal or hide text
  (`strip_controls`): YAML refuses them written raw, but a double-quoted `"\\e[2J"` or
  `"\\x9b"` makes them, and bidi overrides (U+202E) are printable to YAML. Stripped here,
  once, because everything a problem or concept file says reaches a user through this
  function: the terminal views, the exports, the API and the error lines that quote a name.

Every refusal is a one-line `ProblemError(message, file=..., line=...)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from tutor.errors import ProblemError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 20
MAX_EVENTS = 100_000
MAX_KEY = 1024  # YAML's bound on a key written on one line: libyaml does not see a longer one
MAX_NAME = 40  # a name in a problem file; the loader checks the rest of its form

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = {"", "~", "null", "Null", "NULL"}
_NO_KEY = object()  # a mapping frame waiting for its next key
Path = tuple  # of str (mapping keys) and int (sequence indices)

# C0 controls but tab and newline, DEL, C1 controls (CSI, OSC, NEL...), and the invisible
# marks that reorder or hide text (bidi embeddings, overrides and isolates, LRM/RLM/ALM)
_CONTROLS = dict.fromkeys(
    [c for c in range(0x20) if c not in (0x09, 0x0A)]
    + list(range(0x7F, 0xA0))
    + [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
)
# those YAML lets a file write raw (the others only as an escape, after a backslash)
_RAW_CONTROLS = re.compile("[\x85\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """`text` without control characters other than tab and newline, DEL, C1 controls and
    bidi controls: what file text may not send to a terminal (ESC sequences set the window
    title, clear the screen, make links) or use to show text other than it is (U+202E)."""
    return text.translate(_CONTROLS)


@dataclass(frozen=True)
class Doc:
    """Plain data from one YAML document plus where each part of it came from."""

    data: Any
    file: str = "<string>"
    _lines: dict = field(default_factory=dict, repr=False)
    _key_lines: dict = field(default_factory=dict, repr=False)

    def line(self, path: Path) -> int | None:
        """1-based line where the VALUE at `path` starts; `line(())` is 1.

        For a mapping entry this is the line of its value, which for a block
        collection (`a:` then an indented body) is the line after the key.
        Use `key_line` for the key itself.  None for an unknown path.
        """
        return self._lines.get(tuple(path))

    def key_line(self, path: Path) -> int | None:
        """1-based line of the mapping KEY that ends `path`; None if not a key."""
        return self._key_lines.get(tuple(path))


def _tag_name(tag: str) -> str:
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


def _parser(text: str):
    """The event parser: libyaml's (C) where PyYAML was built with it, else PyYAML's own.
    Both give marks (line numbers) on every event and on every error."""
    if _Loader is getattr(yaml, "CSafeLoader", None):
        from yaml._yaml import CParser

        return CParser(text)
    return _Loader(text)


def load_yaml(text: str, file: str = "<string>") -> Doc:
    """Parse YAML text into plain data: dict (insertion-ordered, str keys) / list / str / None.

    An empty (or comment-only) text gives `data is None`.  Raises ProblemError.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise ProblemError(f"problem file too large ({size} bytes, at most {MAX_BYTES})", file=file)

    def fail(message: str, line: int | None) -> ProblemError:
        return ProblemError(message, file=file, line=line)

    # one scan of the text, so a file without escapes or such characters costs nothing more
    dirty = "\\" in text or (not text.isascii() and _RAW_CONTROLS.search(text))
    lines: dict = {(): 1}
    key_lines: dict = {}
    stack: list = []  # frames [container, path, pending key or _NO_KEY]
    data = None
    documents = 0
    # one loop over the events, dispatched on their class: a 10-128-128-10 network file is
    # 20,000 events, and this walk was most of what `solve` does beside its imports
    scalar, mapping, sequence = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    parser = None
    try:
        parser = _parser(text)
        next_event = parser.get_event
        count = 0
        while True:
            ev = next_event()
            kind = ev.__class__
            count += 1
            if kind in ends:
                stack.pop()
                continue
            if kind is scalar or kind is mapping or kind is sequence:
                line = ev.start_mark.line + 1
                if count > MAX_EVENTS:
                    raise fail(f"too many YAML nodes (more than {MAX_EVENTS} events)", line)
                if ev.anchor:
                    raise fail("YAML anchors and aliases are not allowed", line)
                if ev.tag:
                    raise fail(f"YAML tags are not allowed ({_tag_name(ev.tag)})", line)
                if kind is scalar:
                    plain = ev.implicit[0]  # unquoted
                    value: Any = None if plain and ev.value in _NULLS else ev.value
                    if dirty and value:
                        value = strip_controls(value)
                else:
                    if len(stack) >= MAX_DEPTH:
                        raise fail(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", line)
                    value = {} if kind is mapping else []
                if stack:
                    frame = stack[-1]
                    container = frame[0]
                    if container.__class__ is dict:
                        if frame[2] is _NO_KEY:  # this node is a mapping key
                            if value.__class__ is not str:
                                what = "null" if value is None else "a mapping or a list"
                                raise fail(f"mapping keys must be strings, not {what}", line)
                            if plain and value == "<<":
                                raise fail(
                                    "YAML anchors and aliases are not allowed (merge key <<)", line
                                )
                            path = frame[1] + (value,)
                            if value in container:
                                first = key_lines[path]
                                raise fail(f"duplicate key {value!r} (first at line {first})", line)
                            frame[2] = value
                            key_lines[path] = line
                            continue
                        path = frame[1] + (frame[2],)
                        container[frame[2]] = value
                        frame[2] = _NO_KEY
                    else:
                        path = frame[1] + (len(container),)
                        container.append(value)
                    lines[path] = line
                else:
                    path = ()
                    data = value
                if kind is not scalar:
                    stack.append([value, path, _NO_KEY])
                continue
            line = ev.start_mark.line + 1
            if count > MAX_EVENTS:
                raise fail(f"too many YAML nodes (more than {MAX_EVENTS} events)", line)
            if kind is yaml.AliasEvent:
                raise fail("YAML anchors and aliases are not allowed", line)
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise fail("only one YAML document per file is allowed", line)
            elif kind is yaml.StreamEndEvent:
                break
    except yaml.reader.ReaderError as e:  # a forbidden character; no mark, find it
        line = text.count("\n", 0, max(text.find(chr(e.character)), 0)) + 1
        raise fail(
            f"YAML syntax error: character #x{e.character:04x} is not allowed", line
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line = mark.line + 1 if mark else None
        length = _long_key(text, getattr(e, "problem_mark", None))
        if length:
            raise fail(f"name too long ({length:,} characters, at most {MAX_NAME})", line) from None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own limit (1000) hit while scanning ahead
            raise fail(f"YAML nested too deeply (more than {MAX_DEPTH} levels)", line) from None
        raise fail(f"YAML syntax error: {problem}", line) from None
    finally:
        if parser is not None:
            parser.dispose()
    return Doc(data, file, lines, key_lines)


def _long_key(text: str, mark) -> int | None:
    """The length of the key written before the `:` at `mark` when it is longer than YAML
    reads (libyaml then reports "mapping values are not allowed", or a missing ',' in a flow
    mapping), else None."""
    if mark is None:
        return None
    lines = text.splitlines()
    if mark.line >= len(lines) or lines[mark.line][mark.column : mark.column + 1] != ":":
        return None
    before = lines[mark.line][: mark.column].rstrip()
    key = before[max(before.rfind(c) for c in "{[,") + 1 :].strip()
    key = key.removeprefix("- ").removeprefix("? ").strip().strip("\"'")
    return len(key) if len(key) > MAX_KEY else None
