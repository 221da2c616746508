"""Concept questions (multiple choice, true/false): loaded from YAML, shuffled, graded.

The bank lives in `problems/concepts/*.yaml`, content only. Every question is validated
(unknown keys refused, exactly one correct option, an explanation in English and Chinese for
every option) with errors that point at file:line.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from tutor.errors import ProblemError, why
from tutor.model import Text
from tutor.model.quiz import ConceptQuestion, Option
from tutor.problems.yamlsafe import Doc, load_yaml
from tutor.text.quiz import FALSE_WORDS, TRUE_WORDS

QUESTION_KEYS = ("id", "kind", "topic", "source", "question", "options", "see")
OPTION_KEYS = ("text", "correct", "explanation")
KINDS = ("choice", "truefalse")
LETTERS = "ABCDEF"


def concepts_dir() -> Path:
    from tutor.problems.catalog import builtin_dir

    return builtin_dir() / "concepts"


def bank_files() -> list[Path]:
    return sorted(concepts_dir().glob("*.yaml"))


def load_bank(files: list[Path] | None = None) -> list[ConceptQuestion]:
    """Every concept question of the given files (default: the built-in bank)."""
    out: list[ConceptQuestion] = []
    seen: dict[str, str] = {}
    for path in files if files is not None else bank_files():
        for q in load_file(path):
            if q.id in seen:
                raise ProblemError(
                    f"question id '{q.id}' is used twice (also in {seen[q.id]})",
                    file=q.file,
                    line=q.line,
                )
            seen[q.id] = q.file
            out.append(q)
    return out


def load_file(path: Path) -> list[ConceptQuestion]:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ProblemError(f"cannot read concept file: {why(e)}", file=str(path)) from None
    return parse_bank(load_yaml(source, str(path)))


def parse_bank(doc: Doc) -> list[ConceptQuestion]:
    def fail(message: str, path: tuple) -> ProblemError:
        return ProblemError(message, file=doc.file, line=doc.line(path) or doc.key_line(path) or 1)

    data = doc.data
    if not isinstance(data, dict) or set(data) != {"questions"}:
        raise fail("a concept file is a mapping with one key, 'questions'", ())
    items = data["questions"]
    if not isinstance(items, list) or not items:
        raise fail("'questions' must be a non-empty list", ("questions",))
    return [_question(doc, fail, ("questions", i), item) for i, item in enumerate(items)]


def _keys(doc: Doc, fail, path: tuple, value, allowed: tuple, what: str) -> dict:
    if not isinstance(value, dict):
        raise fail(f"{what} must be a mapping", path)
    for key in value:
        if key not in allowed:
            line = doc.key_line(path + (key,)) or doc.line(path)
            raise ProblemError(
                f"unknown key '{key}' in {what} (allowed: {', '.join(allowed)})",
                file=doc.file,
                line=line,
            )
    return value


def _text(fail, path: tuple, value, what: str) -> Text:
    if not isinstance(value, dict) or set(value) != {"en", "zh"}:
        raise fail(f"{what} needs an 'en' and a 'zh' text", path)
    for lang in ("en", "zh"):
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise fail(f"{what}: the '{lang}' text is empty", path + (lang,))
    return Text(value["en"].strip(), value["zh"].strip())


def _question(doc: Doc, fail, path: tuple, item) -> ConceptQuestion:
    item = _keys(doc, fail, path, item, QUESTION_KEYS, "a question")
    for key in ("id", "kind", "question", "options"):
        if key not in item:
            raise fail(f"a question needs '{key}'", path)
    qid, kind = item["id"], item["kind"]
    if not isinstance(qid, str) or not qid.strip():
        raise fail("'id' must be a name", path + ("id",))
    if kind not in KINDS:
        raise fail(f"unknown kind '{kind}' (one of {', '.join(KINDS)})", path + ("kind",))
    question = _text(fail, path + ("question",), item["question"], "a question")
    options_src = item["options"]
    if not isinstance(options_src, list):
        raise fail("'options' must be a list", path + ("options",))
    options = []
    for i, opt in enumerate(options_src):
        opath = path + ("options", i)
        opt = _keys(doc, fail, opath, opt, OPTION_KEYS, "an option")
        for key in OPTION_KEYS:
            if key not in opt:
                raise fail(f"an option needs '{key}'", opath)
        if opt["correct"] not in ("true", "false"):
            raise fail("'correct' must be true or false", opath + ("correct",))
        options.append(
            Option(
                _text(fail, opath + ("text",), opt["text"], "an option"),
                opt["correct"] == "true",
                _text(fail, opath + ("explanation",), opt["explanation"], "an explanation"),
            )
        )
    wanted = (2, 2) if kind == "truefalse" else (2, len(LETTERS))
    if not wanted[0] <= len(options_src) <= wanted[1]:
        raise fail(
            f"a {kind} question has {wanted[0]} to {wanted[1]} options, not {len(options_src)}",
            path + ("options",),
        )
    if sum(o.correct for o in options) != 1:
        raise fail(f"question '{qid}' must have exactly one correct option", path + ("options",))
    see = item.get("see") or ""
    if see:
        from tutor.problems.catalog import builtin_files

        if not isinstance(see, str) or see not in {f.stem for f in builtin_files()}:
            raise fail(f"'see' names a built-in problem (e.g. ex25), not '{see}'", path + ("see",))
    return ConceptQuestion(
        see=see,
        id=qid,
        kind=kind,
        question=question,
        options=tuple(options),
        topic=item.get("topic") or "",
        source=item.get("source") or "",
        file=doc.file,
        line=doc.line(path),
    )


def shuffled(questions: list[ConceptQuestion], seed: int | None) -> list[ConceptQuestion]:
    """Questions in random order with their options shuffled (true/false keeps its order);
    the same seed gives the same order."""
    rng = random.Random(seed)
    out = list(questions)
    rng.shuffle(out)
    result = []
    for q in out:
        if q.kind == "choice":
            options = list(q.options)
            rng.shuffle(options)
            q = replace(q, options=tuple(options))
        result.append(q)
    return result


def choose(q: ConceptQuestion, typed: str) -> int | None:
    """The option index a typed answer picks (`B`, `b`, `2`, `true` or a word of TRUE_WORDS), or None."""
    t = typed.strip().lower().rstrip(".)")
    if len(t) == 1 and t.upper() in LETTERS[: len(q.options)]:
        return LETTERS.index(t.upper())
    if t.isdigit() and 1 <= int(t) <= len(q.options):
        return int(t) - 1
    if q.kind == "truefalse":
        for i, opt in enumerate(q.options):
            word = TRUE_WORDS if opt.text.en.lower() == "true" else FALSE_WORDS
            if t in word:
                return i
    return None
