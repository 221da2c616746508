"""Tests for tutor.problems.concepts: the bank loads and is complete; bad files are refused with
file:line; shuffling is reproducible; answers are read; the concept quiz runs end to end."""

from __future__ import annotations

import pytest
from cli_runner import invoke

from tutor.errors import ProblemError
from tutor.problems import concepts
from tutor.problems.yamlsafe import load_yaml

SEED_000 = (
    "goal",
    "chain-rule",
    "vanishing-cause",
    "false-statement",
    "deep-networks",
    "lr-speed",
    "forward-each-iteration",
)


@pytest.fixture(scope="module")
def bank():
    return concepts.load_bank()


def test_the_bank_has_enough_questions_of_both_kinds(bank):
    assert len(bank) >= 15
    kinds = [q.kind for q in bank]
    assert kinds.count("choice") >= 4 and kinds.count("truefalse") >= 3
    ids = {q.id for q in bank}
    assert set(SEED_000) <= ids
    assert len(ids) == len(bank)


def test_seed_000_questions_keep_their_kinds_and_answers(bank):
    by_id = {q.id: q for q in bank}
    expected = {
        "goal": 2,
        "chain-rule": 1,
        "vanishing-cause": 1,
        "false-statement": 1,
        "deep-networks": 1,
        "lr-speed": 1,
        "forward-each-iteration": 0,
    }
    for qid, right in expected.items():
        q = by_id[qid]
        assert q.kind == ("truefalse" if qid in SEED_000[4:] else "choice")
        assert [o.correct for o in q.options].index(True) == right, qid


def test_every_option_is_explained_in_both_languages(bank):
    for q in bank:
        assert q.question.en and q.question.zh
        assert sum(o.correct for o in q.options) == 1
        for o in q.options:
            assert o.text.en and o.text.zh
            assert len(o.explanation.en) > 20 and len(o.explanation.zh) > 5, (q.id, o.text.en)


def test_the_concepts_folder_is_not_part_of_the_problem_catalogue():
    from tutor.problems import catalog

    assert all(p.parent == catalog.builtin_dir() for p in catalog.builtin_files())
    assert concepts.bank_files() and all(p.parent.name == "concepts" for p in concepts.bank_files())


BAD = {
    "unknown question key": ("questions:\n  - id: a\n    kind: choice\n    colour: red\n", 4),
    "unknown option key": (
        "questions:\n  - id: a\n    kind: choice\n    question: {en: q, zh: q}\n"
        "    options:\n      - text: {en: a, zh: a}\n        correct: true\n"
        "        explanation: {en: e, zh: e}\n        note: x\n",
        9,
    ),
    "two correct": (
        "questions:\n  - id: a\n    kind: choice\n    question: {en: q, zh: q}\n"
        "    options:\n"
        "      - {text: {en: a, zh: a}, correct: true, explanation: {en: e, zh: e}}\n"
        "      - {text: {en: b, zh: b}, correct: true, explanation: {en: e, zh: e}}\n",
        6,
    ),
    "missing zh": (
        "questions:\n  - id: a\n    kind: truefalse\n    question: {en: q}\n    options: []\n",
        4,
    ),
    "bad kind": (
        "questions:\n  - id: a\n    kind: essay\n    question: {en: q, zh: q}\n    options: []\n",
        3,
    ),
    "no correct": (
        "questions:\n  - id: a\n    kind: truefalse\n    question: {en: q, zh: q}\n"
        "    options:\n"
        "      - {text: {en: T, zh: T}, correct: false, explanation: {en: e, zh: e}}\n"
        "      - {text: {en: F, zh: F}, correct: false, explanation: {en: e, zh: e}}\n",
        6,
    ),
    "explanation without zh": (
        "questions:\n  - id: a\n    kind: truefalse\n    question: {en: q, zh: q}\n"
        "    options:\n"
        "      - {text: {en: T, zh: T}, correct: true, explanation: {en: e, zh: e}}\n"
        "      - {text: {en: F, zh: F}, correct: false, explanation: {en: e}}\n",
        7,
    ),
    "empty zh explanation": (
        "questions:\n  - id: a\n    kind: truefalse\n    question: {en: q, zh: q}\n"
        "    options:\n"
        "      - {text: {en: T, zh: T}, correct: true, explanation: {en: e, zh: '  '}}\n"
        "      - {text: {en: F, zh: F}, correct: false, explanation: {en: e, zh: e}}\n",
        6,
    ),
}


@pytest.mark.parametrize("name", BAD)
def test_bad_files_are_refused_with_file_and_line(name):
    text, line = BAD[name]
    with pytest.raises(ProblemError) as info:
        concepts.parse_bank(load_yaml(text, "bank.yaml"))
    assert info.value.file == "bank.yaml"
    assert info.value.line == line, str(info.value)


def _first_question_edited(edit) -> str:
    """The built-in bank with one edit applied inside its first question only."""
    src = concepts.bank_files()[0].read_text(encoding="utf-8")
    head, sep, rest = src.partition("\n  - id: ")
    first, sep2, others = rest.partition("\n  - id: ")
    changed = edit(first)
    assert changed != first
    return head + sep + changed + sep2 + others


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda q: q.replace("correct: false", "correct: true", 1), "exactly one correct"),
        (lambda q: q.replace("correct: true", "correct: false", 1), "exactly one correct"),
        (lambda q: q.rsplit("\n          zh: ", 1)[0] + "\n", "'zh' text"),
    ],
    ids=["two keyed answers", "no keyed answer", "an explanation without zh"],
)
def test_the_content_check_refuses_the_real_bank_with_one_flaw(edit, message):
    text = _first_question_edited(edit)
    with pytest.raises(ProblemError, match=message) as info:
        concepts.parse_bank(load_yaml(text, "bank.yaml"))
    assert info.value.file == "bank.yaml" and info.value.line


# Facts the review corrected (issue 14): (question id, where: None for the question, i for
# option i's explanation, ("text", i) for option i itself; language, words the text must
# contain, words it must not).
FACTS = [
    ("max-pool", 2, "en", ["sum pooling", "∂y/∂x_i = 1", "adds up"], ["copying one value"]),
    ("max-pool", 2, "zh", ["求和池化", "∂y/∂x_i = 1", "相加"], ["复制到多处"]),
    ("false-statement", 3, "en", ["only computes the gradients", "optimiser"], []),
    ("false-statement", 3, "zh", ["只负责计算梯度", "优化器"], ["大体正确"]),
    ("why-sgd", 3, "en", ["implicit regulariser", "early stopping"], ["not on how"]),
    ("why-sgd", 3, "zh", ["隐式正则化", "提前停止"], ["而不是取决于用什么方法"]),
    ("chain-rule", 1, "en", ["Jacobian", "added"], []),
    ("chain-rule", 1, "zh", ["雅可比", "相加"], []),
    ("lr-speed", 0, "en", ["η·∇L"], ["the learning rate is the step size"]),
    ("lr-speed", 0, "zh", ["η·∇L"], ["学习率就是步长"]),
    ("l2-term", 0, "en", ["plain SGD", "AdamW"], []),
    ("l2-term", 0, "zh", ["普通 SGD", "AdamW"], []),
    ("sigmoid-derivative", 1, "en", ["C·eˣ"], ["Only the exponential"]),
    ("sigmoid-derivative", 1, "zh", ["C·eˣ"], ["只有指数函数"]),
    ("vanishing-mechanism", 0, "zh", ["缩小为原来的不到 0.25¹⁰"], ["缩小到"]),
    ("per-layer", None, "zh", ["计算什么"], ["哪些梯度"]),
    ("per-layer", 2, "en", ["next layer"], ["layer above"]),
    ("per-layer", 2, "zh", ["后一层"], ["上一层"]),
    ("lr-too-large", ("text", 2), "en", ["exactly zero"], []),
    ("lr-too-large", ("text", 2), "zh", ["恰好变为零"], []),
]


@pytest.mark.parametrize(
    "qid, option, lang, present, absent",
    FACTS,
    ids=[f"{f[0]}-{f[1]!s:.12}-{f[2]}".replace(" ", "") for f in FACTS],
)
def test_corrected_facts_are_in_the_bank(bank, qid, option, lang, present, absent):
    q = next(q for q in bank if q.id == qid)
    if option is None:
        text = q.question.get(lang)
    elif isinstance(option, tuple):
        text = q.options[option[1]].text.get(lang)
    else:
        text = q.options[option].explanation.get(lang)
    for words in present:
        assert words in text, (qid, words)
    for words in absent:
        assert words not in text, (qid, words)


def test_false_statement_has_exactly_one_false_option(bank):
    """Option D now states the division of labour correctly, so only B is false; its
    explanation says it is true, like A's and C's."""
    q = next(q for q in bank if q.id == "false-statement")
    assert [o.correct for o in q.options] == [False, True, False, False]
    assert "optimises the parameters" not in q.options[3].text.en
    assert "优化参数" not in q.options[3].text.zh
    for o in q.options:
        if not o.correct:
            assert o.explanation.en.startswith("This one is true")
            assert o.explanation.zh.startswith("这句是对的")


def test_keyed_explanations_do_not_read_as_the_true_false_option(bank):
    """Every option's explanation is shown whichever was picked, and 正确/错误 are the
    true/false options: the keyed one starts 正确答案, never a bare 正确."""
    for q in bank:
        key = next(o for o in q.options if o.correct)
        assert key.explanation.zh.startswith("正确答案："), q.id
        for o in q.options:
            assert "震荡" not in o.explanation.zh + o.text.zh, q.id


def test_duplicate_ids_across_files_are_refused(tmp_path):
    src = concepts.bank_files()[0].read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(src, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(src, encoding="utf-8")
    with pytest.raises(ProblemError, match="used twice"):
        concepts.load_bank([tmp_path / "a.yaml", tmp_path / "b.yaml"])


def test_shuffling_is_reproducible_with_a_seed(bank):
    a = concepts.shuffled(bank, 3)
    b = concepts.shuffled(bank, 3)
    c = concepts.shuffled(bank, 4)
    assert a == b and a != c
    assert sorted(q.id for q in a) == sorted(q.id for q in bank)
    for q in a:  # the same options, only reordered; true/false keeps True first
        original = next(o for o in bank if o.id == q.id)
        assert sorted(o.text.en for o in q.options) == sorted(o.text.en for o in original.options)
        if q.kind == "truefalse":
            assert q.options == original.options


def test_reading_choices(bank):
    choice = next(q for q in bank if q.kind == "choice")
    tf = next(q for q in bank if q.kind == "truefalse")
    assert concepts.choose(choice, "b") == 1
    assert concepts.choose(choice, " C) ") == 2
    assert concepts.choose(choice, "4") == 3
    assert concepts.choose(choice, "E") is None
    assert concepts.choose(choice, "maybe") is None
    assert concepts.choose(tf, "true") == 0 and concepts.choose(tf, "F") == 1
    assert concepts.choose(tf, "错") == 1 and concepts.choose(tf, "对") == 0


def run(*args, stdin=""):
    result = invoke("quiz", "concepts", *args, stdin=stdin, width=400)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_concept_quiz_end_to_end(tmp_path, bank):
    order = concepts.shuffled(bank, 11)
    right = ["ABCDEF"[[o.correct for o in q.options].index(True)] for q in order]
    wrong = "ABCDEF"[[o.correct for o in order[1].options].index(False)]
    stdin = "\n".join([right[0], "Z", "hint", wrong, "reveal"] + right[3:]) + "\n"
    r = run("--seed", "11", "--db", str(tmp_path / "p.db"), stdin=stdin)
    assert r.returncode == 1
    out = r.stdout
    assert out.count("✓ correct") == len(order) - 2
    assert "can't read that" in out and "no hints" in out
    assert f"[1/{len(order)}]" in out
    for q in order[:2]:  # every option's explanation is shown after the answer
        for option in q.options:
            assert option.explanation.en in out
    assert f"Score: {len(order) - 2} / {len(order)}" in out


def test_concept_quiz_all_right_exits_0_and_speaks_chinese(tmp_path, bank):
    order = concepts.shuffled(bank, 2)
    right = ["ABCDEF"[[o.correct for o in q.options].index(True)] for q in order]
    r = run(
        "--seed", "2", "--lang", "zh", "--db", str(tmp_path / "p.db"), stdin="\n".join(right) + "\n"
    )
    assert r.returncode == 0
    assert "正确" in r.stdout and order[0].question.zh[:10] in r.stdout


def test_the_vanishing_gradient_question_points_to_ex25_after_the_answer():
    """Issue 11: the concept question links to the problem that shows |δ| shrinking."""
    from rich.console import Console

    from tutor.problems import concepts
    from tutor.quiz import view as quiz_view

    q = next(q for q in concepts.load_bank() if q.id == "vanishing-cause")
    assert q.see == "ex25"
    console = Console(width=80, record=True)
    console.print(quiz_view.concept_feedback(q, 0, "zh"))
    assert "bptutor solve ex25" in console.export_text()


def test_see_must_name_a_built_in_problem(tmp_path):
    from tutor.errors import ProblemError
    from tutor.problems import concepts
    from tutor.problems.yamlsafe import load_yaml

    text = concepts.bank_files()[0].read_text(encoding="utf-8").replace("see: ex25", "see: ex99")
    with pytest.raises(ProblemError, match="'see' names a built-in problem"):
        concepts.parse_bank(load_yaml(text, "bank.yaml"))
