"""Quiz mode: the questions of a problem, hints, and the grading of typed answers.

Logic only, no printing. The questions are the quantities a problem asks for, taken from
`engine.solve`. A typed answer goes through the restricted parser (never eval); a number is
compared within a tolerance, a formula by equivalence (cancel, then random points). Before an
answer is called wrong it is checked against the usual mistakes and against the student's own
earlier answers (error carried forward), recomputed from the engine's node equations and
chain-rule factors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from . import engine, optim
from .errata import printed_precision
from .errors import ParseError
from .expr import parse
from .functions import NUMERIC, relu, sigmoid, softplus
from .model import Problem, Text
from .model.quiz import Grade, Question
from .model.solution import Solution
from .notation import fmt, pretty_name, text

MAX_ANSWER = 500  # characters in one typed answer
REL_TOL = 1e-2  # default: within 1 % of the exact value
REL_FLOOR = 1e-3  # typed significant figures never demand more than 0.1 %
ABS_FLOOR = 1e-9  # for answers that are exactly 0
CARRIED_CREDIT = 0.5
EARLY_ROUNDING = 1e-3  # a correct answer further off than this was rounded too early
CANCEL_OPS = 120  # formulas larger than this skip the symbolic check (numbers decide)
CANCEL_EXPONENT = 10  # ... and so do powers above this (cancel would expand them)
POINTS = 8  # random points for the numeric equivalence check
ACTIVATIONS = (sigmoid, relu, softplus, sp.tanh)


def _t(en: str, zh: str) -> Text:
    return Text(en, zh)


def _exact_text(value: float | None) -> str:
    return fmt(value, 10)


def _lambdify(args, expr):
    return sp.lambdify(args, expr, modules=[NUMERIC, "numpy"], docstring_limit=0)


# --------------------------------------------------------------------------- questions


def questions(solution: Solution) -> list[Question]:
    """Every quantity the problem asks: forward values, loss, parameter gradients, updates."""
    problem = solution.problem
    loss = problem.loss
    leaves = tuple(problem.leaves)
    out: list[Question] = []
    earlier: list[str] = []
    if problem.symbolic:
        if "forward" in problem.asks:
            for step in solution.forward:
                if step.name != loss:
                    out.append(Question(step.name, "forward", step.name, None, step.equation,
                                        leaves + tuple(earlier)))  # fmt: skip
                earlier.append(step.name)
        if "gradients" in problem.asks:
            nodes = tuple(s.name for s in solution.forward if s.name != loss)
            for g in solution.gradients:
                if g.wrt in problem.params and g.total is not None:
                    out.append(Question(f"d{loss}/d{g.wrt}", "gradient", g.wrt, None, g.total,
                                        leaves + nodes))  # fmt: skip
        return out
    if "forward" in problem.asks or "loss" in problem.asks:
        for step in solution.forward:
            if step.name == loss:
                out.append(Question(step.name, "loss", step.name, step.value))
            elif "forward" in problem.asks:
                out.append(Question(step.name, "forward", step.name, step.value))
    if "gradients" in problem.asks:
        for g in solution.gradients:
            if g.wrt in problem.params:
                out.append(Question(f"d{loss}/d{g.wrt}", "gradient", g.wrt, g.value))
    for u in solution.updates:
        out.append(Question(f"{u.name}'", "update", u.name, u.new))
    return out


# --------------------------------------------------------------------------- numbers


def tolerance(typed: str, exact: float, problem_tol: float | None = None) -> float:
    """How far a typed number may be from the exact value.

    A per-problem tolerance is relative. Otherwise a decimal such as `0.0575` claims its
    last digit: it must agree to half a unit there, but never more strictly than 0.1 % and
    never more loosely than 1 %. Other forms (`1/8`, `2*4`) get 1 %.
    """
    scale = abs(exact)
    if problem_tol is not None:
        return max(problem_tol * scale, ABS_FLOOR)
    printed = printed_precision(typed.replace("−", "-"))
    if printed is not None:
        return max(min(printed[1], REL_TOL * scale), REL_FLOOR * scale, ABS_FLOOR)
    return max(REL_TOL * scale, ABS_FLOOR)


def read_number(typed: str) -> float:
    """The value of a typed numeric answer (`8`, `-0.0575`, `1/8`, `1e-3`, `−5`, `sigmoid(2)`).

    Raises ParseError for anything that is not a finite real number.
    """
    expr = parse(typed, {}, implicit_multiplication=True, max_length=MAX_ANSWER)
    if expr.is_Rational:
        value = float(expr)
    else:
        with np.errstate(all="ignore"):
            try:
                raw = complex(_lambdify([], expr)())
            except Exception:  # noqa: BLE001 (a number we cannot evaluate is unreadable)
                raise ParseError("cannot evaluate this number", 1) from None
        if raw.imag != 0:
            raise ParseError("that is not a real number", 1)
        value = raw.real
    if not math.isfinite(value):
        raise ParseError("that number is not finite", 1)
    return value


# --------------------------------------------------------------------------- formulas


def _small(expr: sp.Expr) -> bool:
    """Small enough for cancel(): few operations and no large powers to expand."""
    if sp.count_ops(expr) > CANCEL_OPS:
        return False
    return all(
        not (p.exp.is_Integer and abs(int(p.exp)) > CANCEL_EXPONENT) for p in expr.atoms(sp.Pow)
    )


def _cancels(difference: sp.Expr) -> bool:
    """`cancel(together(d)) == 0`, only on small input (cancel may expand large powers)."""
    if difference == 0:
        return True
    if not _small(difference):
        return False
    try:
        return sp.cancel(sp.together(difference)) == 0
    except Exception:  # noqa: BLE001 (undecided: the numbers decide)
        return False


def at_points(expr: sp.Expr, symbols: list) -> np.ndarray:
    """`expr` at POINTS random points (fixed seed; each symbol uniform in [-1.5, 1.5])."""
    rng = np.random.default_rng(20250)
    points = {s: rng.uniform(-1.5, 1.5, POINTS) for s in symbols}
    args = sorted(expr.free_symbols, key=lambda s: s.name)
    nan = np.full(POINTS, np.nan, dtype=complex)
    try:
        with np.errstate(all="ignore"):
            out = _lambdify(args, expr)(*[points.get(s, nan) for s in args])
            return np.broadcast_to(np.asarray(out, dtype=complex), (POINTS,))
    except Exception:  # noqa: BLE001 (unevaluable: agrees with nothing)
        return nan


def agree(va: np.ndarray, vb: np.ndarray) -> bool | None:
    """Equal wherever both are finite (at three points at least); None when too few points
    are finite, or the two differ only by what rounding could explain, to decide."""
    finite = np.isfinite(va) & np.isfinite(vb)
    if finite.sum() < 3:
        return None
    scale = 1 + np.abs(va[finite]) + np.abs(vb[finite])
    error = np.max(np.abs(va[finite] - vb[finite]) / scale)
    if error <= 1e-8:
        return True
    return None if error <= 1e-5 else False


# --------------------------------------------------------------------------- the session


class Session:
    """One quiz over one problem: questions, the student's answers so far, hints used."""

    def __init__(self, problem: Problem, *, seed: int | None = None):
        self.problem = problem
        self.seed = seed
        self.graph = engine.build_graph(problem)
        self.solution = engine.solve(problem, graph=self.graph)
        self.questions = questions(self.solution)
        self.symbols = dict(self.graph.symbols)
        self.order = list(self.symbols)
        self.values: dict[str, float] = {}
        if not problem.symbolic:
            self.values = {n: float(v) for n, v in problem.leaves.items()}
            self.values.update({s.name: s.value for s in self.solution.forward})
        self.inline: dict = {}
        for node in self.graph.nodes:
            self.inline[node.symbol] = node.expr.xreplace(self.inline)
        self.given: dict[str, float] = {}  # the student's own values, for carried forward
        self.hints_used: dict[str, int] = {}
        self._functions: dict = {}
        self.leaf_symbols = [self.symbols[n] for n in problem.leaves]
        self._expected_points: dict[str, np.ndarray] = {}
        loss = self.graph.node(problem.loss).expr
        self._halved_loss = any(c == sp.Rational(1, 2) for c in loss.atoms(sp.Rational))

    # -- evaluation with the engine's equations and factors --------------------------------

    def _eval(self, key, expr, values: dict[str, float]) -> float:
        f = self._functions.get(key)
        if f is None:
            f = self._functions[key] = _lambdify([self.symbols[n] for n in self.order], expr)
        with np.errstate(all="ignore"):
            return float(f(*[values[n] for n in self.order]))

    def _node_value(self, name: str, values: dict[str, float]) -> float:
        return self._eval(("node", name), self.graph.node(name).expr, values)

    def _activation(self, name: str) -> str | None:
        """For a = f(z) with one activation f of one node z: z, else None."""
        expr = self.graph.node(name).expr
        if isinstance(expr, ACTIVATIONS) and expr.args[0].is_Symbol:
            arg = expr.args[0].name
            return arg if arg in self.graph._by_name else None
        return None

    def _gradient_value(self, wrt: str, values, *, skip_activation=False, swap=None):
        """dL/d(wrt) as the sum over paths of its factors, each evaluated at `values`.

        skip_activation: activation factors count as 1 (the derivative left out).
        swap: "post" evaluates activation factors at f(a) for a (post-activation used as the
        pre-activation); "pre" evaluates the other factors with a := z.
        """
        g = next(g for g in self.solution.gradients if g.wrt == wrt)
        total = 0.0
        for path in g.paths:
            product = 1.0
            for f in path.factors:
                if f.upstream or f.expr is None:
                    return None
                pre = self._activation(f.of)
                activation = pre is not None and f.wrt == pre
                here = values
                if activation and skip_activation:
                    continue
                if activation and swap == "post":
                    here = {**values, pre: values[f.of]}
                    here[f.of] = self._node_value(f.of, here)
                elif not activation and swap == "pre":
                    here = dict(values)
                    for name in f.expr.free_symbols:
                        is_node = name.name in self.graph._by_name
                        z = self._activation(name.name) if is_node else None
                        if z is not None:
                            here[name.name] = values[z]
                product *= self._eval(("factor", f.of, f.wrt), f.expr, here)
            total += product
        return total

    def _own_key(self, q: Question) -> str:
        """Where the student's value of a quantity is kept: nodes by name, gradients as L/w."""
        if q.kind in ("forward", "loss"):
            return q.node
        return f"{self.problem.loss}/{q.node}" if q.kind == "gradient" else q.key

    def _own_values(self) -> dict[str, float]:
        """Exact values with the student's forward answers in place of the nodes'."""
        own = dict(self.values)
        for step in self.solution.forward:
            if step.name in self.given:
                own[step.name] = self.given[step.name]
        return own

    def _carried(self, q: Question) -> float | None:
        """The answer recomputed from the student's own earlier answers, if any were used."""
        own = self._own_values()
        if q.kind in ("forward", "loss"):
            parents = {s.name for s in self.graph.node(q.node).expr.free_symbols}
            if not any(p in self.given for p in parents):
                return None
            return self._node_value(q.node, own)
        if q.kind == "gradient":
            if not any(s.name in self.given for s in self.solution.forward):
                return None
            return self._gradient_value(q.node, own)
        if q.kind == "update":
            grad_key = f"{self.problem.loss}/{q.node}"
            if grad_key not in self.given:
                return None
            upd = next(u for u in self.solution.updates if u.name == q.node)
            rule = self.problem.update
            grads = {q.node: self.given[grad_key]}
            new, _ = optim.step(rule, {q.node: upd.old}, grads, optim.initial_state(rule, [q.node]))
            return new[q.node]
        return None

    def _mistakes(self, q: Question) -> list[tuple[str, float | None]]:
        """Values the usual mistakes would give, most specific first."""
        v = q.value
        # Only a loss or a gradient can have lost the ½ of a half squared error.
        half = q.kind in ("loss", "gradient") and self._halved_loss
        two = "factor2-half" if half else "factor2"
        out: list[tuple[str, float | None]] = [("sign", -v), (two, 2 * v), (two, v / 2)]
        if q.kind in ("forward", "loss"):
            z = self._activation(q.node)
            if z is not None:
                out.append(("activation-forward", self.values[z]))
            parents = [s.name for s in self.graph.node(q.node).expr.free_symbols]
            swapped = {p: self.values[self._activation(p)] for p in parents
                       if p in self.graph._by_name and self._activation(p)}  # fmt: skip
            if swapped:
                out.append(("pre-for-post", self._node_value(q.node, {**self.values, **swapped})))
        elif q.kind == "gradient":
            left_out = self._gradient_value(q.node, self.values, skip_activation=True)
            out.append(("activation", left_out))
            out.append(("post-for-pre", self._gradient_value(q.node, self.values, swap="post")))
            out.append(("pre-for-post", self._gradient_value(q.node, self.values, swap="pre")))
        return out

    # -- grading ---------------------------------------------------------------------------

    def grade(self, q: Question, typed: str) -> Grade:
        """Grade one typed answer; an unreadable one gives verdict "invalid" (not counted)."""
        typed = typed.strip()
        if not typed:
            return _invalid("empty answer", 1)
        if len(typed) > MAX_ANSWER:
            return _invalid(f"answer too long ({len(typed)} characters, at most {MAX_ANSWER})",
                            None)  # fmt: skip
        if q.value is None:
            return self._grade_formula(q, typed)
        try:
            answer = read_number(typed)
        except ParseError as e:
            return _invalid(e.message, e.column)
        return self._grade_number(q, typed, answer)

    def _grade_number(self, q: Question, typed: str, answer: float) -> Grade:
        exact = q.value
        exact_text = _exact_text(exact)
        tol = tolerance(typed, exact, self.problem.tolerance)
        own_key = self._own_key(q)
        if abs(answer - exact) <= tol:
            self.given[own_key] = exact  # later steps use the exact value, not the rounded one
            warning = None
            if abs(answer - exact) > EARLY_ROUNDING * abs(exact):
                warning = _t(
                    f"rounded too early to be used further: carry {exact_text} into later steps",
                    f"舍入过早，后面的步骤请用 {exact_text}",
                )
            return Grade("correct", _t(f"correct: {exact_text}", f"正确：{exact_text}"),
                         exact_text, 1.0, warning=warning)  # fmt: skip
        self.given[own_key] = answer
        carried = self._carried(q)
        if carried is not None and math.isfinite(carried) and abs(carried - exact) > tol:
            if abs(answer - carried) <= tolerance(typed, carried, self.problem.tolerance):
                return Grade("carried", _t(
                    f"right method on your own earlier answers (error carried forward), "
                    f"half credit; the exact value is {exact_text}",
                    f"按你前面自己的结果计算，方法正确（误差传递），得一半分；精确值为 {exact_text}",
                ), exact_text, CARRIED_CREDIT)  # fmt: skip
        for mistake, value in self._mistakes(q):
            if value is None or not math.isfinite(value) or abs(value - exact) <= tol:
                continue
            if abs(answer - value) <= tolerance(typed, value, self.problem.tolerance):
                return Grade("wrong", _mistake_text(mistake, q, exact_text), exact_text,
                             mistake=mistake)  # fmt: skip
        return Grade("wrong", _t(f"not quite: the answer is {exact_text}",
                                 f"不对：答案是 {exact_text}"), exact_text)  # fmt: skip

    def _grade_formula(self, q: Question, typed: str) -> Grade:
        names = {n: self.symbols[n] for n in q.names}
        try:
            answer = parse(typed, names, implicit_multiplication=True, max_length=MAX_ANSWER)
        except ParseError as e:
            return _invalid(e.message, e.column)
        exact_text = text(q.expr)
        a, b = answer.xreplace(self.inline), q.expr.xreplace(self.inline)
        va = at_points(a, self.leaf_symbols)
        vb = self._expected_points.get(q.key)
        if vb is None:
            vb = self._expected_points[q.key] = at_points(b, self.leaf_symbols)
        same = agree(va, vb)
        if same is None:
            same = _cancels(a - b)
        if same:
            return Grade("correct", _t(f"correct: {exact_text}", f"正确：{exact_text}"),
                         exact_text, 1.0)  # fmt: skip
        for mistake, scaled in (("sign", -vb), ("factor2", 2 * vb), ("factor2", vb / 2)):
            if agree(va, scaled):
                return Grade("wrong", _mistake_text(mistake, q, exact_text), exact_text,
                             mistake=mistake)  # fmt: skip
        return Grade("wrong", _t(f"not equivalent: the answer is {exact_text}",
                                 f"不等价：答案是 {exact_text}"), exact_text)  # fmt: skip

    # -- hints and reveal ------------------------------------------------------------------

    def hints(self, q: Question) -> list[str]:
        """The hints for a question, in order: one chain-rule factor each (math, no words)."""
        if q.kind in ("forward", "loss"):
            step = next(s for s in self.solution.forward if s.name == q.node)
            name = pretty_name(q.node)
            if self.problem.symbolic:
                return [f"{name} = {step.text}"]
            return [f"{name} = {step.text} = {step.substituted}"]
        if q.kind == "gradient":
            g = next(g for g in self.solution.gradients if g.wrt == q.node)
            out = []
            loss = pretty_name(self.problem.loss)
            for path in g.paths:
                for f in path.factors:
                    if f.upstream:
                        line = f"∂{loss}/∂{pretty_name(f.wrt)} (accumulated)"
                    else:
                        line = f"∂{pretty_name(f.of)}/∂{pretty_name(f.wrt)} = {text(f.expr)}"
                    if f.value is not None and not line.endswith(f" = {fmt(f.value)}"):
                        line += f" = {fmt(f.value)}"
                    out.append(line)
            return out or [f"∂{loss}/∂{pretty_name(q.node)} = 0: no path to the loss"]
        upd = next(u for u in self.solution.updates if u.name == q.node)
        name, loss = pretty_name(q.node), pretty_name(self.problem.loss)
        rule = self.problem.update
        if rule is not None and rule.optimizer == "sgd" and not rule.hyper.get("l2"):
            return [f"{name}' = {name} − η·∂{loss}/∂{name} = {fmt(upd.old)} − {fmt(upd.lr)} × "
                    f"{fmt(upd.grad)}"]  # fmt: skip
        return [f"{name}' = one {rule.optimizer if rule else 'sgd'} step from {name} = "
                f"{fmt(upd.old)} with ∂{loss}/∂{name} = {fmt(upd.grad)}"]  # fmt: skip

    def hint(self, q: Question) -> tuple[int, int, str] | None:
        """The next hint (its number, how many there are, the text), or None when used up."""
        all_hints = self.hints(q)
        used = self.hints_used.get(q.key, 0)
        if used >= len(all_hints):
            return None
        self.hints_used[q.key] = used + 1
        return used + 1, len(all_hints), all_hints[used]

    def exact(self, q: Question) -> str:
        """The answer as text (for `reveal`); later steps then use the exact value."""
        if q.value is None:
            return text(q.expr)
        own_key = self._own_key(q)
        self.given.pop(own_key, None)
        return _exact_text(q.value)


# The parser's messages a student meets most often, in Chinese (others stay in English).
_PARSE_ZH = (
    (r"unknown name '(.*)'", "不认识的名称 '{0}'"),
    (r"unknown function '(.*)'", "不认识的函数 '{0}'"),
    (r"missing operator between '(.*)' and '(.*)'", "'{0}' 和 '{1}' 之间缺少运算符"),
    (r"unexpected end of expression", "表达式没有写完"),
    (r"unexpected '(.*)'", "多余的 '{0}'"),
    (r"unexpected character (.*)", "无法识别的字符 {0}"),
    (r"empty expression", "没有输入内容"),
    (r"expression too long \((\d+) characters, at most (\d+)\)", "表达式太长（{0} 个字符，最多 {1} 个）"),
    (r"expression nested too deeply", "括号或嵌套层数太多"),
    (r"exponent too large \(at most (\d+)\)", "指数太大（最多 {0}）"),
    (r"division by zero", "除以零"),
    (r"(\S+) is a function: write (.*)", "{0} 是函数，请写成 {1}"),
    (r"(\S+) takes (\d+) arguments?, got (\d+)", "{0} 需要 {1} 个参数，给了 {2} 个"),
)


def _zh_parse_message(message: str) -> str:
    import re

    for pattern, zh in _PARSE_ZH:
        m = re.fullmatch(pattern, message)
        if m:
            return zh.format(*m.groups())
    return message


def _invalid(message: str, column: int | None) -> Grade:
    where = f" (column {column})" if column else ""
    where_zh = f"（第 {column} 列）" if column else ""
    return Grade("invalid", _t(f"can't read that: {message}{where}",
                               f"无法读取：{_zh_parse_message(message)}{where_zh}"),
                 column=column)  # fmt: skip


def _mistake_text(mistake: str, q: Question, exact: str) -> Text:
    en, zh = {
        "sign": ("the sign is wrong", "符号反了"),
        "factor2": ("off by a factor of 2", "差了 2 倍"),
        "factor2-half": ("off by a factor of 2 (the ½ of a squared error?)",
                         "差了 2 倍（平方误差前面的 ½？）"),
        "activation": ("the activation's derivative is left out of the chain",
                       "链式法则中漏乘了激活函数的导数"),
        "activation-forward": ("that is the pre-activation value: apply the activation to it",
                               "这是激活前的值：还要代入激活函数"),
        "post-for-pre": ("the post-activation value was used where the pre-activation was needed",
                         "在需要激活前的值的地方用了激活后的值"),
        "pre-for-post": ("the pre-activation value was used where the post-activation was needed",
                         "在需要激活后的值的地方用了激活前的值"),
    }[mistake]  # fmt: skip
    return _t(f"looks like {en}; the answer is {exact}", f"看起来{zh}；答案是 {exact}")


@dataclass(frozen=True)
class Outcome:
    """How one question of a quiz ended: "correct", "carried", "wrong", "revealed",
    "skipped" or "unanswered" (the quiz stopped before it)."""

    key: str
    verdict: str
    credit: float = 0.0
    answer: str = ""
    exact: str = ""
