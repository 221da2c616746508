"""`homework make` and `homework grade` (issue 24): three students, one with a Chinese name,
over ex2 (scalar), ex4 (a `network:` file) and ex18 (tensor).

Oracles: the seeds recomputed here from SHA-256; every expected answer of the manifest checked
against a reference written in this file (ex2 by hand, ex4 and ex18 in NumPy, their gradients
by central finite differences or the closed forms p − y, δ aᵀ); the grades against the tally of
the answers this test wrote itself."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from cli_runner import invoke

PROBLEMS = "ex2,ex4,ex18"
ROSTER = "id,name,class\nS001,Alice Smith,A\nS002,张三,A\nS003,Bob Jones,B\n"
IDS = ["S001", "S002", "S003"]


def make(tmp: Path, name: str = "hw", set_name: str = "week3", *extra: str):
    roster = tmp / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp / name
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", PROBLEMS,
        "--set-name", set_name, "-o", str(out), *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("homework")
    return make(tmp)


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def items(folder: Path, pid: str) -> dict:
    return {
        s["id"]: next(p for p in s["problems"] if p["id"] == pid)
        for s in manifest(folder)["students"]
    }


def expected(item: dict) -> dict:
    return {q["key"]: np.asarray(q["expected"], dtype=float) for q in item["questions"]}


def value(item: dict, name: str):
    v = item["values"][name]
    return float(Fraction(v)) if isinstance(v, str) else np.asarray(v, dtype=float)


# --------------------------------------------------------------------------- make


def test_seeds_come_from_the_set_the_problem_and_the_student(made):
    for s in manifest(made)["students"]:
        for p in s["problems"]:
            text = f"week3\x1f{p['id']}\x1f{s['id']}".encode()
            digest = hashlib.sha256(text).digest()
            assert p["seed"] == int.from_bytes(digest[:8], "big") % 10**9


def test_the_three_variants_differ(made):
    for pid in PROBLEMS.split(","):
        seen = [json.dumps(item["values"], sort_keys=True) for item in items(made, pid).values()]
        assert len(set(seen)) == 3, pid


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_ex2_answers_are_the_hand_derivation_and_not_degenerate(made):
    for item in items(made, "ex2").values():
        v = {n: value(item, n) for n in ("x1", "x2", "y", "w1", "w2", "b1", "w3", "b2")}
        z = v["w1"] * v["x1"] + v["w2"] * v["x2"] + v["b1"]
        h = max(0.0, z)
        yhat = v["w3"] * h + v["b2"]
        loss = 0.5 * (yhat - v["y"]) ** 2
        d = yhat - v["y"]  # ∂L/∂ŷ
        on = 1.0 if z > 0 else 0.0
        grads = {
            "w3": d * h,
            "b2": d,
            "w1": d * v["w3"] * on * v["x1"],
            "w2": d * v["w3"] * on * v["x2"],
            "b1": d * v["w3"] * on,
        }
        e = expected(item)
        assert e["z"] == pytest.approx(z) and e["yhat"] == pytest.approx(yhat)
        assert e["L"] == pytest.approx(loss) and loss > 0
        for name, g in grads.items():
            assert e[f"dL/d{name}"] == pytest.approx(g), name
            assert e[f"{name}'"] == pytest.approx(v[name] - 0.01 * g), name
        assert any(g != 0 for g in grads.values())
        assert z != 0  # not on ReLU's kink


def ex4_loss(v: dict) -> float:
    x = np.array([v["x1"], v["x2"], v["x3"]])
    w1 = np.array([[v[f"W1_{i}_{j}"] for j in (1, 2, 3)] for i in (1, 2)])
    b1 = np.array([v["b1_1"], v["b1_2"]])
    a1 = sigmoid(w1 @ x + b1)
    a2 = sigmoid(v["W2_1_1"] * a1[0] + v["W2_1_2"] * a1[1] + v["b2_1"])
    return (a2 - v["y"]) ** 2


def test_ex4_answers_agree_with_numpy_and_finite_differences(made):
    params = [f"W1_{i}_{j}" for i in (1, 2) for j in (1, 2, 3)] + ["b1_1", "b1_2"]
    params += ["W2_1_1", "W2_1_2", "b2_1"]
    for item in items(made, "ex4").values():
        v = {n: value(item, n) for n in item["values"]}
        e = expected(item)
        assert e["C"] == pytest.approx(ex4_loss(v)) and e["C"] > 1e-6
        grads = []
        for p in params:
            step = 1e-6
            up, down = dict(v), dict(v)
            up[p] += step
            down[p] -= step
            fd = (ex4_loss(up) - ex4_loss(down)) / (2 * step)
            assert e[f"dC/d{p}"] == pytest.approx(fd, rel=1e-5, abs=1e-9), p
            grads.append(fd)
        assert max(abs(g) for g in grads) > 1e-6


def test_ex18_answers_agree_with_numpy(made):
    for item in items(made, "ex18").values():
        x, y = value(item, "x"), value(item, "y")
        w1, b1, w2, b2 = (value(item, n) for n in ("W1", "b1", "W2", "b2"))
        x, y, b1, b2 = (a.reshape(-1, 1) for a in (x, y, b1, b2))
        z1 = w1 @ x + b1
        a1 = sigmoid(z1)
        z2 = w2 @ a1 + b2
        p = np.exp(z2) / np.exp(z2).sum()
        d2 = p - y
        d1 = (w2.T @ d2) * a1 * (1 - a1)
        e = expected(item)
        assert e["L"] == pytest.approx(-np.sum(y * np.log(p))) and e["L"] > 0
        for key, want in {
            "z1": z1, "a1": a1, "p": p, "dL/dz2": d2, "dL/dz1": d1,
            "dL/dW2": d2 @ a1.T, "dL/dW1": d1 @ x.T, "W1'": w1 - 0.5 * d1 @ x.T,
        }.items():  # fmt: skip
            assert np.allclose(e[key].reshape(want.shape), want), key
        assert np.abs(d1).max() > 1e-9


def test_handouts_templates_and_keys(made):
    s2 = (made / "handouts" / "S002.html").read_text(encoding="utf-8")
    assert "张三" in s2 and "S002" in s2 and "<math" in s2
    assert "ex18.6 dL/dz2 [3×1] =" in s2  # the questions numbered, the line to fill in
    template = (made / "answers" / "S002.txt").read_text(encoding="utf-8")
    lines = [line for line in template.splitlines() if not line.startswith("#")]
    count = sum(len(p["questions"]) for p in manifest(made)["students"][1]["problems"])
    assert len(lines) == count and lines[0] == "ex2.1 z = "
    key = (made / "keys" / "S002.html").read_text(encoding="utf-8")
    assert "张三" in key and "<math" in key
    index = (made / "index.html").read_text(encoding="utf-8")
    assert all(f'href="handouts/{i}.html"' in index for i in IDS)


def files_of(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_make_twice_gives_identical_files_and_another_set_other_numbers(made, tmp_path):
    again = make(tmp_path, "again")
    assert files_of(again) == files_of(made)
    other = make(tmp_path, "other", "week4")
    assert items(other, "ex2")["S001"]["values"] != items(made, "ex2")["S001"]["values"]


def test_both_languages(tmp_path):
    out = make(tmp_path, "both", "week3", "--lang", "both")
    zh = (out / "handouts" / "S001.zh.html").read_text(encoding="utf-8")
    en = (out / "handouts" / "S001.en.html").read_text(encoding="utf-8")
    assert "问题" in zh and "Questions" in en and (out / "index.zh.html").exists()


def test_keys_as_markdown(tmp_path):
    out = make(tmp_path, "md", "week3", "--format", "md")
    key = (out / "keys" / "S002.md").read_text(encoding="utf-8")
    assert key.startswith("# week3: answer key of 张三 (S002)") and "$" in key
    assert 'href="keys/S002.md"' not in (out / "index.html").read_text(encoding="utf-8")


def test_every_sentence_in_both_languages():
    import string

    from tutor.text.homework import MESSAGES

    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    for key, (en, zh) in MESSAGES.items():
        assert en and zh and en != zh, key
        assert fields(en) == fields(zh), key


# --------------------------------------------------------------------------- grade


def written(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return repr(float(a))
    if a.ndim == 2 and a.shape[1] == 1:
        a = a.ravel()
    if a.ndim == 1:
        return "[" + ", ".join(repr(float(x)) for x in a) + "]"
    return "[" + "; ".join(", ".join(repr(float(x)) for x in row) for row in a) + "]"


def filled(entry: dict, change: dict) -> str:
    """An answer file with every answer right except `change`: (problem, number) -> text."""
    lines = ["# filled in by the test"]
    for p in entry["problems"]:
        for q in p["questions"]:
            typed = change.get((p["id"], q["number"]), written(q["expected"]))
            lines.append(f"{p['id']}.{q['number']} {q['key']} = {typed}")
    return "\n".join(lines) + "\n"


def number(item: dict, key: str) -> int:
    return next(q["number"] for q in item["questions"] if q["key"] == key)


@pytest.fixture(scope="module")
def graded(made, tmp_path_factory):
    """S001 all right; S002 a wrong z in ex2 (h then right on that z: carried) and a wrong
    z1 in ex18 (a1 then carried); S003 the sign of ∂L/∂ŷ in ex2 and one unreadable line."""
    tmp = tmp_path_factory.mktemp("graded")
    subs = tmp / "submissions"
    subs.mkdir()
    students = {s["id"]: s for s in manifest(made)["students"]}
    ex2 = items(made, "ex2")["S002"]
    z = expected(ex2)["z"]
    wrong_z = next(
        float(z + d) for d in (7, 11, 13) if z + d > 0 and z + d not in (-z, 2 * z, z / 2)
    )
    ex18 = items(made, "ex18")["S002"]
    z1 = expected(ex18)["z1"] + 1.0
    changes = {
        "S001": {},
        "S002": {
            ("ex2", 1): repr(wrong_z),
            ("ex2", 2): repr(wrong_z),
            ("ex18", 1): written(z1),
            ("ex18", 2): written(sigmoid(z1)),
        },
        "S003": {
            ("ex2", number(items(made, "ex2")["S003"], "dL/dyhat")): repr(
                -float(expected(items(made, "ex2")["S003"])["dL/dyhat"])
            ),
            ("ex4", 1): "0.5.3)",
        },
    }
    for sid, change in changes.items():
        (subs / f"{sid}.txt").write_text(filled(students[sid], change), encoding="utf-8")
    (subs / "notes.md").write_text("not an answer file", encoding="utf-8")
    out = tmp / "out"
    done = invoke("homework", "grade", str(made), str(subs), "-o", str(out / "grades.csv"))
    assert done.returncode == 0, done.stderr
    assert "notes.md" in done.stderr  # listed, not guessed
    return out, changes


def read_csv(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_grades_csv(made, graded):
    out, _ = graded
    rows = {r["id"]: r for r in read_csv(out / "grades.csv")}
    assert rows["S002"]["name"] == "张三" and rows["S002"]["class"] == "A"
    assert all(rows["S001"][f"{p} (%)"] == "100.0" for p in PROBLEMS.split(","))
    assert rows["S001"]["total (%)"] == "100.0"
    n2 = len(items(made, "ex2")["S002"]["questions"])
    n18 = len(items(made, "ex18")["S002"]["questions"])
    # S002: z wrong (0), h carried (1/2), the rest right; the same in ex18
    assert rows["S002"]["ex2 (%)"] == f"{100 * (n2 - 1.5) / n2:.1f}"
    assert rows["S002"]["ex18 (%)"] == f"{100 * (n18 - 1.5) / n18:.1f}"
    assert rows["S002"]["ex4 (%)"] == "100.0"
    n4 = len(items(made, "ex4")["S003"]["questions"])
    n2b = len(items(made, "ex2")["S003"]["questions"])
    assert rows["S003"]["ex2 (%)"] == f"{100 * (n2b - 1) / n2b:.1f}"
    assert rows["S003"]["ex4 (%)"] == f"{100 * (n4 - 1) / n4:.1f}"


def test_grades_detail_csv(made, graded):
    out, _ = graded
    rows = read_csv(out / "grades-detail.csv")

    def row(sid, pid, n):
        return next(
            r for r in rows if (r["student"], r["problem"], r["question"]) == (sid, pid, str(n))
        )

    assert {r["verdict"] for r in rows if r["student"] == "S001"} == {"right"}
    assert (row("S002", "ex2", 1)["verdict"], row("S002", "ex2", 1)["credit"]) == ("wrong", "0")
    assert (row("S002", "ex2", 2)["verdict"], row("S002", "ex2", 2)["credit"]) == ("carried", "0.5")
    assert row("S002", "ex18", 2)["verdict"] == "carried"
    n = number(items(made, "ex2")["S003"], "dL/dyhat")
    assert (row("S003", "ex2", n)["verdict"], row("S003", "ex2", n)["mistake"]) == ("wrong", "sign")
    bad = row("S003", "ex4", 1)
    assert (bad["verdict"], bad["answer"], bad["credit"]) == ("invalid", "0.5.3)", "0")


def test_feedback_pages(graded):
    out, _ = graded
    s2 = (out / "feedback" / "S002.html").read_text(encoding="utf-8")
    assert "张三" in s2 and "error carried forward" in s2 and "carried (half credit)" in s2
    assert "Your worked solution" in s2 and "<math" in s2  # their own variant's solution
    s3 = (out / "feedback" / "S003.html").read_text(encoding="utf-8")
    assert "the sign is wrong" in s3 and "unreadable" in s3 and "0.5.3)" in s3


def test_class_summary_counts_match_our_tally(made, graded):
    out, changes = graded
    from tutor.homework import grade

    book = grade.grade(made, out.parent / "submissions")
    ours = {}
    for item in items(made, "ex2")["S001"], items(made, "ex4")["S001"], items(made, "ex18")["S001"]:
        for q in item["questions"]:
            ours[(item["id"], q["number"])] = 3
    for change in changes.values():
        for key in change:
            ours[key] -= 1
    got = {(r.problem_id, r.number): r for r in book.summary}
    assert {k: r.right for k, r in got.items()} == ours
    assert got[("ex2", 1)].answered == 3 and got[("ex2", 1)].share == pytest.approx(2 / 3)
    n = number(items(made, "ex2")["S003"], "dL/dyhat")
    assert got[("ex2", n)].common == (("sign", 1),)
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "<svg" in summary and "2 / 3" in summary and "sign (1)" in summary
    assert "notes.md" in summary  # listed as not graded


def test_grade_in_chinese(made, graded, tmp_path):
    out, _ = graded
    done = invoke(
        "homework", "grade", str(made), str(out.parent / "submissions"),
        "-o", str(tmp_path / "g.csv"), "--lang", "zh",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "feedback" / "S002.html").read_text(encoding="utf-8")
    assert "沿用前错" in page and "你这组数的详细解答" in page
    assert "全班汇总" in (tmp_path / "summary.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- bad input


def one_line(done, where: str):
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0] and "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    "text, where",
    [
        ("name,email\nAnn,a@b\n", "roster.csv:1:"),
        ("id,name\nS1,Ann\nS1,Bo\n", "roster.csv:3:"),
        ("id,name\nS1,Ann\n,Bo\n", "roster.csv:3:"),
        ("id,name\n../x,Ann\n", "roster.csv:2:"),
    ],
)
def test_bad_roster(tmp_path, text, where):
    roster = tmp_path / "roster.csv"
    roster.write_text(text, encoding="utf-8")
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", "ex2",
        "--set-name", "w", "-o", str(tmp_path / "hw"),
    )  # fmt: skip
    one_line(done, where)


FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    "pid, words",
    [(str(FIXTURES / "seed000_relu.yaml"), "no random: block"), ("ex1", "symbolic")],
)
def test_problems_without_variants_are_refused(tmp_path, pid, words):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", pid,
        "--set-name", "w", "-o", str(tmp_path / "hw"),
    )  # fmt: skip
    one_line(done, words)


def test_same_takes_a_problem_as_it_is(tmp_path):
    out = make(tmp_path, "same", "w", "--same")
    seen = {json.dumps(i["values"], sort_keys=True) for i in items(out, "ex2").values()}
    assert len(seen) == 1


@pytest.mark.parametrize("extra", [1, -1])
def test_answer_files_with_more_or_fewer_lines(made, tmp_path, extra):
    entry = manifest(made)["students"][0]
    text = filled(entry, {})
    lines = text.splitlines()
    text = "\n".join(lines + ["ex9.1 x = 1"] if extra > 0 else lines[:-1]) + "\n"
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "S001.txt").write_text(text, encoding="utf-8")
    done = invoke("homework", "grade", str(made), str(subs), "-o", str(tmp_path / "g.csv"))
    count = sum(len(p["questions"]) for p in entry["problems"])
    where = f"S001.txt:{count + 2}:" if extra > 0 else f"S001.txt:{count}:"
    one_line(done, where)


def test_feedback_pages_that_cannot_be_written_are_one_line(made, tmp_path):
    """The pages are written where each student is graded (a worker, for a class): a folder
    that cannot be made is the command's one-line error, exit 2, as for the CSV."""
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "S001.txt").write_text(filled(manifest(made)["students"][0], {}), encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "feedback").write_text("a file where the folder goes", encoding="utf-8")
    done = invoke("homework", "grade", str(made), str(subs), "-o", str(tmp_path / "out" / "g.csv"))
    one_line(done, "cannot write")


def test_a_damaged_manifest(made, tmp_path):
    import shutil

    copy = tmp_path / "hw"
    shutil.copytree(made, copy)
    data = manifest(copy)
    del data["students"][1]["problems"][0]["questions"][2]["kind"]
    (copy / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    subs = tmp_path / "subs"
    subs.mkdir()
    done = invoke("homework", "grade", str(copy), str(subs), "-o", str(tmp_path / "g.csv"))
    one_line(done, "manifest.json: the manifest is damaged")


def test_pdf_without_chromium_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", "ex2",
        "--set-name", "w", "-o", str(tmp_path / "hw"), "--pdf",
    )  # fmt: skip
    one_line(done, "needs Chromium")
    assert not (tmp_path / "hw").exists()


def test_a_class_made_and_graded_on_every_core_is_the_class_made_in_one_process(
    tmp_path, monkeypatch
):
    # the oracle: the same set made and graded with the workers turned off
    from tutor.homework import parallel

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "id,name\n" + "".join(f"T{i:02d},Student {i}\n" for i in range(18)), encoding="utf-8"
    )

    def run(name: str) -> dict[str, bytes]:
        out = tmp_path / name
        args = ["--roster", str(roster), "--problems", "ex2", "--set-name", "w", "-o", str(out)]
        assert invoke("homework", "make", *args).returncode == 0
        subs = tmp_path / f"{name}-subs"
        subs.mkdir()
        for i in range(18):  # every answer line left as its template: graded invalid
            text = (out / "answers" / f"T{i:02d}.txt").read_text(encoding="utf-8")
            (subs / f"T{i:02d}.txt").write_text(text.replace(" = ", " = 1"), encoding="utf-8")
        graded = tmp_path / f"{name}-graded"
        graded.mkdir()
        done = invoke("homework", "grade", str(out), str(subs), "-o", str(graded / "grades.csv"))
        assert done.returncode == 0, done.stderr
        return {
            f"{root.name[len(name) :]}/{p.relative_to(root).as_posix()}": p.read_bytes()
            for root in (out, graded)
            for p in root.rglob("*")
            if p.is_file()
        }

    workers = []
    real = parallel.each

    def counting(work, items, progress=None):
        workers.append(len(items) >= parallel.MIN_PARALLEL)
        return real(work, items, progress)

    monkeypatch.setattr(parallel, "each", counting)
    many = run("many")
    monkeypatch.setattr(parallel, "MIN_PARALLEL", 10**9)
    one = run("one")
    assert workers == [True, True, False, False]  # make, grade (the feedback pages with it)
    assert many == one and len(one) > 2 * 18 and any("feedback/" in k for k in one)


def test_generated_mistakes_are_named_in_the_gradebook(made, tmp_path):
    """The quiz's generated mistakes reach the homework grader: the step added in ex2 (w1 +
    η·g = 2·w1 − w1'), η left out in ex18 (W2 − ∂L/∂W2)."""
    from tutor.homework import grade

    student = manifest(made)["students"][0]
    ex2, ex18 = items(made, "ex2")[student["id"]], items(made, "ex18")[student["id"]]
    w1 = value(ex2, "w1")
    uphill = 2 * w1 - float(expected(ex2)["w1'"])
    no_rate = value(ex18, "W2") - expected(ex18)["dL/dW2"]
    change = {
        ("ex2", number(ex2, "w1'")): repr(uphill),
        ("ex18", number(ex18, "W2'")): written(no_rate),
    }
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / f"{student['id']}.txt").write_text(filled(student, change), encoding="utf-8")
    book = grade.grade(made, subs)
    graded = next(s for s in book.students if s.file is not None)
    got = {
        (p.problem_id, a.key): (a.verdict, a.mistake) for p in graded.problems for a in p.answers
    }
    assert got[("ex2", "w1'")] == ("wrong", "step-sign")
    assert got[("ex18", "W2'")] == ("wrong", "rate-left-out")
    assert {v for k, v in got.items() if k not in (("ex2", "w1'"), ("ex18", "W2'"))} == {
        ("right", None)
    }
