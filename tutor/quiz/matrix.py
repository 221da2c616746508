"""The quiz on a tensor problem: whole vectors and matrices asked, graded element-wise.

`questions(solution)` asks in backprop's order: the forward values, the loss, then layer by
layer from the top δ⁽ˡ⁾ = ∂L/∂z⁽ˡ⁾ (z: a node that reads a parameter), ∂L/∂W⁽ˡ⁾ and
∂L/∂b⁽ˡ⁾, then the layer below; last the updates. A δ of a lower layer still wrong after its
tries is taken step by step (`scaffold`): the δ of each node between the two layers (Wᵀδ,
then ⊙ f′), then the δ again. Each question carries its expected array, its shape, its rule
(the first hint: the rule tree the backward pass evaluated, printed; the second hint: the δ's
and values that tree reads) and the alternatives its classic mistakes give, computed from the
solution's arrays with NumPy (`engine.tensor.pullback`). `Session` grades typed answers
(`answers`, `matrix_grading`), a number, an array or a formula in the problem's names
(`W2ᵀ δ2`, `(p − y) a1ᵀ`: read by `matrix_expr`, evaluated by the engine's evaluator), and
keeps the student's own answers for error carried forward. The conversation is the one ask
loop of `session.run_problem`: this Session answers the same calls as the scalar one
(header, prompt, hint, explanation, scaffold...).

A tensor of more than MAX_ASKED entries is asked a few entries at a time (`entries`: a
corner, an interior entry, the far corner: the corners are where a padded convolution and a
pooling window's edge differ from the interior); the gradient of an input is asked where the
statement asks for it (∂L/∂X in ex24). Each question carries the skills its rule exercises
(`skills.tensor_chain`), recorded with its attempts for `progress` and `review`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
from rich.console import Group
from rich.text import Text as RichText

from tutor.engine import tensor
from tutor.engine.matrix_solve import TensorSolution, delta_name, solve
from tutor.language.answers import AnswerError, read, shape_text, written
from tutor.language.matrix_expr import _elementwise, text
from tutor.model import Problem, Text
from tutor.model.quiz import Grade
from tutor.quiz import counting, grading
from tutor.quiz import matrix_formulas as formulas
from tutor.quiz import view as quiz_view
from tutor.quiz.asking import TRIES, Asking, fresh
from tutor.quiz.matrix_grading import invalid, judge
from tutor.registry import optim
from tutor.text import messages
from tutor.text.notation import written_forms

MAX_ASKED = 24  # entries: a larger tensor is asked entry by entry (nobody types 25 numbers)
ENTRIES = 3  # entries asked of a larger tensor


def say(lang: str, key: str, **kw) -> str:
    """The tensor quiz's word `key` (a `tensor_quiz_` key of the catalogue) in `lang`."""
    return messages.say(lang, f"tensor_quiz_{key}", **kw)


def _both(key: str, **kw) -> Text:
    return messages.both(f"tensor_quiz_{key}", **kw)


@dataclass(frozen=True)
class TensorQuestion:
    """One tensor a quiz asks for: its key (as the progress database keeps it), its label as
    the course writes it (δ(z2), ∂L/∂W2), the expected array and the rule that gives it."""

    key: str  # "z1", "L", "dL/dz2", "dL/dW2", "W2'"
    kind: str  # "forward", "loss", "delta", "gradient" or "update"
    name: str  # the node or parameter
    label: str  # "z1", "δ(z2)", "∂L/∂W2", "W2'"
    expected: np.ndarray
    rule: str = ""  # "δ(z1) = δ(a1) ⊙ sigmoid′(z1)": the first hint
    alternatives: tuple = ()  # (mistake, array[, detail Text]) of the classic mistakes
    scaffold_of: str | None = None
    step: str = ""
    skills: tuple[str, ...] = ()
    index: tuple[int, ...] | None = None  # one entry (0-based) of the node's tensor

    @property
    def shape(self) -> tuple:
        return self.expected.shape

    @property
    def node(self) -> str:
        return self.name

    def prompt(self) -> str:
        """`δ(z2) = ? (3×1) `: plain text, for input() and an answers file's echo."""
        if self.expected.size == 1:
            return f"{self.label} = ? "
        return f"{self.label} = ? ({shape_text(self.shape)}) "


# --------------------------------------------------------------------------- questions


def _consumers(problem: Problem) -> dict[str, list]:
    out: dict[str, list] = {}
    for eq in problem.graph:
        for name in sorted(eq.expr.names()):
            out.setdefault(name, []).append(eq)
    return out


def samples(problem: Problem) -> int:
    """N, the samples of a batch, read from the layout: an input X read as W @ X has its
    samples as columns, one read as X @ W as rows; 0 when no input is a batch of N > 1."""
    found = set()
    for eq in problem.graph:
        for op in eq.expr.walk():
            if op.kind != "matmul":
                continue
            for side, arg in enumerate(op.args):
                value = problem.inputs.get(arg.name) if arg.kind == "name" else None
                if value is not None and np.ndim(value) == 2:
                    found.add(np.shape(value)[1] if side == 1 else np.shape(value)[0])
    found.discard(1)
    return found.pop() if len(found) == 1 else 0


def batch_size(problem: Problem) -> tuple[int, int]:
    """(n, N) read from the loss itself: n the count its mean (or its division by a whole
    number above 2) averages over, whose leaving out multiplies every gradient by n; N the
    samples a loss that sums over a batch adds, whose averaging divides by N (0: none)."""
    loss = next(eq for eq in problem.graph if eq.name == problem.loss).expr
    averaged = 0
    for op in loss.walk():
        if op.kind == "mean" and not op.ints:
            averaged = int(np.prod(_shapes(problem)(op.args[0]))) or averaged
        elif op.kind == "div" and op.args[1].kind == "number":
            k = op.args[1].value
            if k.denominator == 1 and k > 2:
                averaged = int(k)
    summed = 0
    if not averaged and any(op.kind == "sum" for op in loss.walk()):
        summed = samples(problem)
    return averaged, summed


def halved(problem: Problem) -> bool:
    """Whether the loss is a half squared error (a ½ or a division by 2 in it): its factor 2
    left out or kept is named "factor2-half"."""
    loss = next(eq for eq in problem.graph if eq.name == problem.loss).expr
    for op in loss.walk():
        if op.kind == "div" and op.args[1].kind == "number" and op.args[1].value == 2:
            return True
        if op.kind == "number" and op.value == Fraction(1, 2):
            return True
    return False


def _shapes(problem: Problem):
    """The shape rules knowing every leaf's and node's shape."""
    from tutor.engine import rules

    shapes = rules.Shapes({n: np.shape(v) for n, v in problem.leaves.items()})
    for eq in problem.graph:
        shapes.names[eq.name] = shapes(eq.expr)
    return shapes


def layers(problem: Problem) -> list[str]:
    """The nodes that read a parameter (z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾ + b⁽ˡ⁾), from the top down."""
    params = set(problem.params)
    return [eq.name for eq in reversed(problem.graph) if eq.expr.names() & params]


def _hidden(problem: Problem) -> set[str]:
    """A `network:` problem's hidden layers' z (every layer but the output's): the quiz in
    its matrix view asks δ of each one entry first (∂L/∂z_j = Σ_k δ_k W_kj f′(z_j)), then
    the whole vector, as the course goes from the scalar chain rule to the matrix form."""
    return set(layers(problem)[1:])


def _between(problem: Problem, low: str, high: str) -> list[str]:
    """The nodes on the paths from `low` up to `high` (both left out), nearest `high` first."""
    order = [eq.name for eq in problem.graph]
    reads = {eq.name: eq.expr.names() for eq in problem.graph}
    above = {low}
    for name in order:
        if reads[name] & above:
            above.add(name)
    below = {high}
    for name in reversed(order):
        if name in below:
            below |= reads[name]
    return [n for n in reversed(order) if n in above and n in below and n not in (low, high)]


class _Builder:
    """The questions of one solution, with the alternatives of each (NumPy, from the arrays)."""

    def __init__(self, solution: TensorSolution):
        self.solution = solution
        self.problem = solution.problem
        self.values = {**self.problem.leaves, **{s.name: s.value for s in solution.forward}}
        self.consumers = _consumers(self.problem)
        self.equations = {eq.name: eq for eq in self.problem.graph}
        self.activations = set(_elementwise().values())
        self._alternatives: dict[str, list] = {}
        self._tops: set[str] | None = None  # a layer's own δ and the loss (set when first asked)
        self._position: dict[str, int] = {}
        self._shapes = None  # rules.Shapes of every name, made when a skill is first read
        self._swapped: list | None = None  # backward passes with two classes swapped
        self._updated: dict | None = None  # the backward pass at the updated parameters
        self._late: dict = {}  # question -> its late mistakes (`late`)

    def grad(self, name: str) -> np.ndarray:
        return self.solution.grads[name]

    def skills(self, q: TensorQuestion) -> tuple[str, ...]:
        """The skills `q` exercises, read off the op table's ops on its way to the loss."""
        from tutor.engine import rules
        from tutor.quiz import skills

        if q.kind in ("delta", "gradient"):
            if self._shapes is None:
                self._shapes = rules.Shapes({n: np.shape(v) for n, v in self.values.items()})
            return tuple(skills.tensor_chain(self.problem, q.name, self._shapes))
        if q.kind == "update":
            return skills.update_skills(self.problem)
        if q.kind == counting.KIND:
            return counting.SKILLS
        return ()

    def _pulled(self, name: str, swap: dict | None = None) -> np.ndarray:
        """∂L/∂name from its consumers' true δ; `swap`: consumer -> another δ to use."""
        total = np.zeros_like(self.values[name], dtype=float)
        for eq in self.consumers.get(name, []):
            g = (swap or {}).get(eq.name, self.grad(eq.name))
            total = total + tensor.pullback(eq.expr, self.values, g).get(name, 0.0)
        return total

    def pre_activations(self) -> dict[str, str]:
        """a -> z for each a = f(z), f element-wise (σ, tanh, ReLU...)."""
        out = {}
        for eq in self.problem.graph:
            op = eq.expr
            if op.kind in self.activations and op.args and op.args[0].kind == "name":
                out[eq.name] = op.args[0].name
        return out

    def forward(self, step) -> TensorQuestion:
        from tutor.quiz.diagnosis import name_text

        kind = "loss" if step.name == self.problem.loss else "forward"
        z = self.pre_activations().get(step.name)
        alternatives = (
            (("activation-forward", self.values[z], name_text("activation-forward")),)
            if z is not None
            else ()
        )
        return TensorQuestion(
            step.name,
            kind,
            step.name,
            step.name,
            np.asarray(step.value),
            f"{step.name} = {step.text}",
            alternatives,
            step=kind,
        )

    def activation(self, name: str):
        """(f, a) when `name`'s one consumer is a = f(name) element-wise, else None."""
        users = self.consumers.get(name, [])
        if len(users) != 1:
            return None
        op = users[0].expr
        if (
            op.kind in self.activations
            and op.args
            and op.args[0].kind == "name"
            and op.args[0].name == name
        ):
            return op.kind, users[0].name
        return None

    def _w_not_wt(self, name: str) -> list:
        """δ(name) with a square W where Wᵀ belongs (W @ name read by a consumer)."""
        out = []
        for eq in self.consumers.get(name, []):
            for op in eq.expr.walk():
                if op.kind != "matmul" or op.args[1].kind != "name" or op.args[1].name != name:
                    continue
                w = op.args[0]
                shape = tensor.value_of(w, self.values).shape
                if len(shape) != 2 or shape[0] != shape[1]:
                    continue
                from tutor.language.matrix_expr import Op

                swapped = _replaced(eq.expr, op, replace(op, args=(Op("T", (w,)), op.args[1])))
                wrong = tensor.pullback(swapped, self.values, self.grad(eq.name)).get(name)
                if wrong is None:
                    continue
                others = self._pulled(name) - tensor.pullback(
                    eq.expr, self.values, self.grad(eq.name)
                ).get(name, 0.0)
                shown = w.name if w.kind == "name" else "W"
                out.append(("transposed", others + wrong, _both("w_not_wt", w=shown)))
        return out

    def alternatives(self, name: str) -> list:
        """The classic mistakes' values of ∂L/∂name: ⊙ f′ left out, W where Wᵀ belongs, and
        those of a node between two layers carried down (δ(a1) with W2 for W2ᵀ, then ⊙ f′).
        The nodes whose mistakes are carried are done first, from the loss back, by a walk
        with its own stack (a chain of any length)."""
        if name in self._alternatives:
            return self._alternatives[name]
        if self._tops is None:
            self._tops = set(layers(self.problem)) | {self.problem.loss}
            self._position = {eq.name: i for i, eq in enumerate(self.problem.graph)}
        needed, stack = {name}, [name]
        while stack:
            for eq in self.consumers.get(stack.pop(), []):
                if eq.name not in self._tops and eq.name not in needed:
                    if eq.name not in self._alternatives:
                        needed.add(eq.name)
                        stack.append(eq.name)
        for n in sorted(needed, key=lambda n: -self._position.get(n, -1)):  # consumers first
            self._alternatives[n] = self._alternatives_of(n)
        return self._alternatives[name]

    def backward(self, values: dict) -> dict[str, np.ndarray]:
        """Every ∂L/∂name by the rules of the equations at other `values` (from the loss
        down): one thing changed in what the backward pass reads."""
        loss = self.problem.loss
        grads = {loss: self.grad(loss)}
        for eq in reversed(self.problem.graph):
            g = grads.get(eq.name)
            if g is None:
                continue
            for name, part in tensor.pullback(eq.expr, values, g).items():
                grads[name] = grads[name] + part if name in grads else part
        return grads

    def swapped_classes(self) -> list[dict]:
        """The backward passes with two classes swapped: two rows of a one-hot target (each
        column one 1 and 0s) exchanged, one pass a pair of different rows."""
        if self._swapped is None:
            self._swapped = []
            for t, y in self.problem.targets.items():
                y = np.asarray(y, dtype=float)
                if y.ndim != 2 or y.shape[0] < 2 or y.shape[0] > 10:
                    continue
                if not (np.isin(y, (0, 1)).all() and (y.sum(axis=0) == 1).all()):
                    continue
                for i in range(y.shape[0]):
                    for j in range(i + 1, y.shape[0]):
                        if np.array_equal(y[i], y[j]):
                            continue
                        other = y.copy()
                        other[[i, j]] = other[[j, i]]
                        self._swapped.append(self.backward({**self.values, t: other}))
        return self._swapped

    def _alternatives_of(self, name: str) -> list:
        out = []
        found = self.activation(name)
        if found is not None:
            f, a = found
            out.append(("activation", self.grad(a), _both("activation", f=f, z=name, a=a)))
            out.append(
                ("f-for-fprime", self.grad(a) * self.values[a], _both("f_for_fprime", f=f, z=name))
            )
        out += self._w_not_wt(name)
        for eq in self.consumers.get(name, []):
            if eq.name in self._tops:
                continue  # a layer's own δ is asked: its mistakes are not carried further
            for mistake, value, *detail in self._alternatives[eq.name]:
                if mistake not in ("activation", "f-for-fprime"):
                    out.append((mistake, self._pulled(name, {eq.name: value}), *detail))
        return out

    def rule(self, name: str, label: str) -> str:
        """`label = rule`, the rule printed from its tree (the sum of its terms' trees)."""
        tree = self.solution.rule(name)
        return f"{label} = " + ("0" if tree is None else text(tree, self.solution.style))

    def delta(self, name: str, scaffold_of: str | None = None) -> TensorQuestion:
        d = self.solution.delta(name)
        label = delta_name(name, True)
        rule = self.rule(name, label)
        return TensorQuestion(
            f"d{self.problem.loss}/d{name}",
            "delta",
            name,
            label,
            d.value,
            rule,
            tuple(self.alternatives(name)),
            scaffold_of,
            "delta",
        )

    def gradient(self, param: str) -> TensorQuestion:
        d = self.solution.delta(param)
        label = delta_name(param, False)
        rule = self.rule(param, label)
        key = f"d{self.problem.loss}/d{param}"
        # its mistakes, a δ(z)'s carried into ∂L/∂W = δ(z) aᵀ, are made when first needed
        return TensorQuestion(key, "gradient", param, label, d.value, rule, step="gradient")

    def update(self, u) -> TensorQuestion:
        rule = self.problem.update
        text = (
            f"{u.name}' = {u.name} − η ∂L/∂{u.name}"
            if rule.optimizer == "sgd"
            else say("en", "update_rule", opt=rule.optimizer, lr=rule.lr)
        )
        return TensorQuestion(
            f"{u.name}'",
            "update",
            u.name,
            f"{u.name}'",
            u.new,
            text,
            tuple(self._update_mistakes(u)),
            step="update",
        )

    def _update_mistakes(self, u) -> list:
        """The step added, the step without η, and the step with a gradient backpropagated
        through the other parameters' values after the update (W2′ᵀ δ2 for W2ᵀ δ2)."""
        rule = self.problem.update
        out: list = [("step-sign", u.old + (u.old - u.new), _both("step_sign", w=u.name))]
        state = optim.initial_state(rule, (u.name,))
        grad = self.grad(u.name)
        plain, _ = optim.step(rule, {u.name: u.old}, {u.name: grad}, state, lr=1)
        out.append(("rate-left-out", plain[u.name], _both("rate_left_out", w=u.name)))
        return out

    def late(self, q: TensorQuestion) -> list:
        """The mistakes that need backward passes of their own, made when a wrong answer is
        first graded (not with the questions): a gradient's from its δ's mistakes, two
        classes swapped (a δ or gradient), the gradient backpropagated through the
        parameters already updated (an update)."""
        key = (q.key, q.index)
        if key in self._late:
            return self._late[key]
        out: list = []
        if q.kind == "gradient":
            for t in self.solution.delta(q.name).terms:  # a mistake in δ(z), carried
                for mistake, value, *detail in self.alternatives(t.via):
                    pulled = self._pulled(q.name, {t.via: value})
                    out.append((mistake, pulled, *detail))
        if q.kind == "gradient":  # z where a = f(z) belongs: δ2 z1ᵀ for δ2 a1ᵀ
            pre = {a: self.values[z] for a, z in self.pre_activations().items()}
            if pre:
                swapped = {**self.values, **pre}
                total = np.zeros_like(self.values[q.name], dtype=float)
                for eq in self.consumers.get(q.name, []):
                    part = tensor.pullback(eq.expr, swapped, self.grad(eq.name)).get(q.name)
                    total = total + (0.0 if part is None else part)
                out.append(("pre-for-post", total))
        if q.kind in ("delta", "gradient"):
            for grads in self.swapped_classes():
                if q.name in grads:
                    out.append(("classes-swapped", grads[q.name]))
        elif q.kind == "update" and self.problem.update is not None:
            u = next(u for u in self.solution.updates if u.name == q.name)
            if self._updated is None:
                news = {v.name: v.new for v in self.solution.updates}
                self._updated = self.backward({**self.values, **news})
            after, grad = self._updated.get(u.name), self.grad(u.name)
            if after is not None and not np.allclose(after, grad, rtol=1e-9, atol=1e-15):
                rule = self.problem.update
                state = optim.initial_state(rule, (u.name,))
                new, _ = optim.step(rule, {u.name: u.old}, {u.name: after}, state)
                out.append(("after-for-before", new[u.name]))
        if q.index is not None:
            full = np.shape(self.solution.grads.get(q.name, q.expected))
            if q.kind == "update":
                full = np.shape(self.problem.leaves[q.name])
            out = [
                (m, np.asarray(v, dtype=float)[q.index], *rest)
                for m, v, *rest in out
                if np.shape(v) == full
            ]
        self._late[key] = out
        return out


def _read(tree) -> list:
    """The ops of a rule tree whose values it reads (an argument `like`, read only for its
    shape, left out: Σ_col's bias)."""
    from tutor.registry.ops import OPS

    out, stack = [], [tree]
    while stack:
        op = stack.pop()
        out.append(op)
        spec = OPS.get(op.kind)
        names = spec.args if spec is not None else ()
        kept = [a for i, a in enumerate(op.args) if i >= len(names) or names[i] != "like"]
        stack.extend(reversed(kept))
    return out


def _replaced(op, old, new):
    """`op` with the subexpression `old` (by identity) replaced by `new`."""
    if op is old:
        return new
    if not op.args:
        return op
    return replace(op, args=tuple(_replaced(a, old, new) for a in op.args))


def entries(shape: tuple) -> list[tuple[int, ...]]:
    """The entries asked of a tensor too large to type whole: the first corner, an interior
    entry, the far corner (then the other corners of the last two axes while fewer than
    ENTRIES differ). The corners are where padding, a window's edge and a kernel's border
    act; the interior entry is the rule without them."""
    shape = tuple(shape)
    first = tuple(0 for _ in shape)
    middle = tuple(n // 2 if n > 2 else n - 1 for n in shape)
    last = tuple(n - 1 for n in shape)
    others = []
    if len(shape) >= 2:
        others = [first[:-1] + last[-1:], first[:-2] + last[-2:-1] + first[-1:]]
    out: list[tuple[int, ...]] = []
    for i in [first, middle, last, *others]:
        if i not in out:
            out.append(i)
    return out[:ENTRIES]


def entry_label(label: str, index: tuple) -> str:
    """`∂L/∂K1[1,2,2,1]`: an entry as the course numbers it (from 1)."""
    return label + "[" + ",".join(str(i + 1) for i in index) + "]"


def _entry(q: TensorQuestion, index: tuple) -> TensorQuestion:
    """One entry of a large tensor's question: its value, its alternatives' entries."""
    alternatives = tuple(
        (m, np.asarray(v, dtype=float)[index], *rest)
        for m, v, *rest in q.alternatives
        if np.shape(v) == q.expected.shape
    )
    return replace(
        q,
        key=entry_label(q.key, index),
        label=entry_label(q.label, index),
        expected=np.asarray(q.expected[index], dtype=float),
        alternatives=alternatives,
        index=index,
    )


def named_in_statement(problem: Problem) -> set[str]:
    """The names whose ∂L/∂name the statement asks for (in either language): ∂L/∂X, not the
    X of ∂L/∂X̂ nor of ∂L/∂Xhat; a name also as the course writes it (∂L/∂X̂ for Xhat, ∂L/∂μ
    for mu, ∂L/∂σ² for var: `notation.written_forms`)."""
    import unicodedata

    names = set(problem.leaves) | {eq.name for eq in problem.graph}
    out: set[str] = set()
    for lang in ("en", "zh"):
        said = problem.statement.get(lang) or ""
        for n, form in [(name, form) for name in names for form in written_forms(name)]:
            mark = "∂L/∂" + form
            at = said.find(mark)
            while at >= 0:
                after = said[at + len(mark) : at + len(mark) + 1]
                if not after or not (
                    after.isalnum() or after == "_" or unicodedata.combining(after)
                ):
                    out.add(n)
                    break
                at = said.find(mark, at + 1)
    return out


def _lowest_reader(problem: Problem, tops: set[str]) -> dict[str, str]:
    """Each parameter's lowest layer node (the first in the graph that reads it): a weight
    shared by several layers or steps (an RNN's W, a tied chain's) has a gradient that sums
    one term per use, so it is asked after the δ of every use, back through time first."""
    out: dict[str, str] = {}
    for eq in reversed(problem.graph):
        if eq.name in tops:
            for param in eq.expr.names() & set(problem.params):
                out[param] = eq.name
    return out


@tensor.quiet
def questions(solution: TensorSolution, guided: bool = False) -> tuple[list[TensorQuestion], int]:
    """The questions in backprop's order (a large tensor's as a few of its entries), and how
    many tensors are asked by entries. `guided`: the δ of every node, not only each layer's
    (and those the statement names)."""
    problem = solution.problem
    b = _Builder(solution)
    out: list[TensorQuestion] = []
    by_entries = 0

    def add(q: TensorQuestion) -> None:
        nonlocal by_entries
        q = replace(q, skills=b.skills(q))
        if q.expected.size > MAX_ASKED:
            by_entries += 1
            out.extend(_entry(q, i) for i in entries(q.shape))
        else:
            out.append(q)

    for step in solution.forward:
        kind = "loss" if step.name == problem.loss else "forward"
        if kind in problem.asks:
            add(b.forward(step))
    asked_params: list[str] = []
    if "gradients" in problem.asks:
        tops = set(layers(problem))
        first_entries = _hidden(problem) if problem.extra.get("network") else set()
        named = named_in_statement(problem)
        found = {d.name for d in solution.deltas if d.terms}  # not a softmax met by its log
        lowest = _lowest_reader(problem, tops)
        for eq in reversed(problem.graph):
            z = eq.name
            if z == problem.loss or z not in found:
                continue
            if z in tops or z in named or guided:
                if z in first_entries:  # the scalar chain rule for one entry, then all of δ
                    whole = b.delta(z)
                    whole = replace(whole, skills=b.skills(whole))
                    out.append(_entry(whole, (0,) * len(whole.shape)))
                add(b.delta(z))
            for param in problem.params:
                if lowest.get(param) == z and param not in asked_params:
                    asked_params.append(param)
                    add(b.gradient(param))
        for name in problem.inputs:  # an input's gradient, where the statement asks for it
            if name in named:
                add(b.gradient(name))
    for key, node, count in counting.asked(problem):  # each layer's parameters, the total
        expected = np.asarray(count)
        rule = counting.explanation(problem, node)
        add(TensorQuestion(key, counting.KIND, node, key, expected, rule, step=counting.KIND))
    if "update" in problem.asks:
        updates = {u.name: u for u in solution.updates}
        for name in asked_params + [n for n in updates if n not in asked_params]:
            if name in updates:
                add(b.update(updates[name]))
    return out, by_entries


# --------------------------------------------------------------------------- the session


class Session(Asking):
    """One quiz over one tensor problem: its questions, the student's own answers so far
    (error carried forward), the hints used. `seed`: the variant's (recorded with the
    attempts); `guided`: every node's δ asked, each rule shown after its answer."""

    def __init__(
        self, problem: Problem, *, seed: int | None = None, guided: bool = False, tries: int = TRIES
    ):
        super().__init__(problem, seed=seed, guided=guided, tries=tries)
        self.solution = solve(problem)
        self.builder = _Builder(self.solution)
        self.questions, self.by_entries = questions(self.solution, guided)
        self.batch, self.summed = batch_size(problem)
        self.halved = halved(problem)
        self.values = self.builder.values
        self.own_values: dict[str, np.ndarray] = {}  # node -> the student's forward value
        self.own_grads: dict[str, np.ndarray] = {}  # name -> the student's ∂L/∂name

    # -- carried forward -------------------------------------------------------------------

    def _own_forward(self, name: str) -> np.ndarray | None:
        """`name` recomputed from the student's own earlier forward values (None: none)."""
        if not self.own_values:
            return None
        env = dict(self.problem.leaves)
        for eq in self.problem.graph:
            if eq.name == name:
                return tensor.value_of(eq.expr, env)
            env[eq.name] = self.own_values.get(eq.name, self.values[eq.name])
        return None

    def _own_grad(self, name: str, memo: dict) -> np.ndarray:
        """∂L/∂name as the student's own answers give it: theirs when they gave it, else
        pulled back from its consumers' own δ."""
        if name in self.own_grads:
            return self.own_grads[name]
        if name not in memo:
            memo[name] = (
                self._pulled_own(name, memo)
                if name != self.problem.loss
                else self.solution.grads[name]
            )
        return memo[name]

    def _pulled_own(self, name: str, memo: dict) -> np.ndarray:
        total = np.zeros_like(self.values[name], dtype=float)
        for eq in self.builder.consumers.get(name, []):
            if eq.name not in self.solution.grads:
                continue
            g = self._own_grad(eq.name, memo)
            total = total + tensor.pullback(eq.expr, self.values, g).get(name, 0.0)
        return total

    def carried(self, q: TensorQuestion) -> np.ndarray | None:
        """The expected value recomputed from the student's own earlier answers (the entry
        asked, for an entry's question)."""
        own = self._carried(q)
        if own is None or q.index is None:
            return own
        return np.asarray(own, dtype=float)[q.index] if np.ndim(own) == len(q.index) else None

    @tensor.quiet
    def _carried(self, q: TensorQuestion) -> np.ndarray | None:
        if q.kind in ("forward", "loss"):
            return self._own_forward(q.name)
        if not self.own_grads:
            return None
        if q.kind in ("delta", "gradient"):
            return self._pulled_own(q.name, {})
        if q.kind == "update" and q.name in self.own_grads:
            rule = self.problem.update
            new, _ = optim.step(
                rule,
                {q.name: self.problem.leaves[q.name]},
                {q.name: self.own_grads[q.name]},
                optim.initial_state(rule, (q.name,)),
            )
            return np.asarray(new[q.name], dtype=float)
        return None

    # -- grading ---------------------------------------------------------------------------

    @tensor.quiet
    def grade(self, q: TensorQuestion, typed: str) -> Grade:
        """Grade one typed answer: numbers, or a formula in the problem's names graded by its
        value; an unreadable one is "invalid" (not a try)."""
        typed = typed.strip()
        if q.kind == counting.KIND:  # a whole number, exactly; nothing carried forward
            grade = counting.grade(self.problem, q.name, typed)
            if grade.verdict == "right":
                self.kept[q.key] = grade.exact
            return grade
        refused = grading.refusal(typed)
        if refused is not None:
            return refused
        try:
            answer = read(typed)
        except AnswerError as e:
            if not formulas.looks_like_formula(typed):
                return invalid(e)
            found = formulas.value(self, q, typed)
            if isinstance(found, Grade):
                return found
            answer = formulas.as_answer(found)
        lossy = q.kind not in ("forward", "update")
        grade = judge(
            answer,
            q.expected,
            tolerance=self.problem.tolerance,
            carried=lambda: self.carried(q),
            alternatives=(*q.alternatives, *self.builder.late(q)),
            batch=self.batch if lossy else 0,
            summed=self.summed if lossy else 0,
            halved=self.halved and lossy,
        )
        own = self.own_values if q.kind in ("forward", "loss") else self.own_grads
        if q.index is not None:  # one entry: nothing whole to carry forward
            if grade.verdict == "right":
                self.kept[q.key] = grade.exact
            return grade
        if grade.verdict == "right":
            own.pop(q.name, None)  # later steps use the exact value
            self.kept[q.key] = grade.exact
        elif grade.counted:
            if answer.array.size == q.expected.size and (
                answer.shape == q.shape
                or answer.array.size == 1
                or max(len(answer.shape), len(q.shape)) > 2
            ):
                own[q.name] = answer.array.reshape(q.shape)
            else:
                own.pop(q.name, None)  # another shape: nothing to carry forward
            self.kept.pop(q.key, None)
        return grade

    def exact(self, q: TensorQuestion) -> str:
        """The answer (reveal, skip): later steps then use the exact value."""
        if q.kind == counting.KIND:
            return str(int(q.expected))
        if q.index is None:
            own = self.own_values if q.kind in ("forward", "loss") else self.own_grads
            own.pop(q.name, None)
        return written(q.expected)

    reveal = exact

    # -- hints and scaffolding -------------------------------------------------------------

    def hints(self, q: TensorQuestion, lang: str = "en") -> list[str]:
        """The rule (unless the question shows it), then the values it reads; one entry of a
        δ asked before the whole (a network's hidden layer) by the scalar chain rule."""
        if q.kind == counting.KIND:
            return fresh(
                self.header(q, 1, 1, lang).plain, counting.hints(self.problem, q.name, lang)
            )
        if q.kind == "delta" and q.index is not None and q.name in _hidden(self.problem):
            return self._entry_hints(q, lang)
        reads: dict[str, np.ndarray] = {}
        if q.kind in ("forward", "loss"):
            eq = self.builder.equations[q.name]
            reads = {n: self.values[n] for n in sorted(eq.expr.names())}
        elif q.kind in ("delta", "gradient"):
            tree = self.solution.rule(q.name)  # what its rule reads: δ's, then values
            ops = _read(tree) if tree is not None else []
            for op in ops:
                if op.kind == "grad":
                    reads[delta_name(op.name, True)] = self.solution.grads[op.name]
            for op in ops:
                if op.kind == "name" and op.name in self.values:
                    reads[op.name] = self.values[op.name]
        elif q.kind == "update":
            reads = {
                q.name: self.problem.leaves[q.name],
                f"∂L/∂{q.name}": self.solution.grads[q.name],
            }
        values = "; ".join(f"{n} = {written(v)}" for n, v in reads.items())
        rungs = [q.rule] + ([values] if values else [])
        return fresh(self.header(q, 1, 1, lang).plain, rungs)

    def _entry_hints(self, q: TensorQuestion, lang: str) -> list[str]:
        """The entry's rule, then each upstream entry's sum written out with its numbers
        (`solve --at`'s chain: ∂L/∂z_j = Σ_k δ_k W_kj f′(z_j))."""
        from tutor.views.matrix import element_lines

        at = ",".join(str(i + 1) for i in q.index)
        lines = element_lines(self.solution, f"d{self.problem.loss}/d{q.name}[{at}]")
        rungs = [f"{lines[0].left} = {lines[0].formula}"]
        rungs += [f"{x.left} = {x.terms or x.formula} = {x.numbers}" for x in lines[1:2]]
        return fresh(self.header(q, 1, 1, lang).plain, rungs)

    @tensor.quiet
    def scaffold(self, q: TensorQuestion) -> list[TensorQuestion]:
        """A lower layer's δ broken into steps: the δ of each node between it and the layer
        above (Wᵀδ, then ⊙ f′...), then the δ again. Empty for the top layer or another kind."""
        if q.kind != "delta" or q.scaffold_of is not None or q.index is not None:
            return []
        tops = layers(self.problem)
        if q.name not in tops or tops.index(q.name) == 0:
            return []
        above = tops[tops.index(q.name) - 1]
        steps = [self.builder.delta(n, q.key) for n in _between(self.problem, q.name, above)]
        steps = [s for s in steps if s.expected.size <= MAX_ASKED]
        steps = [replace(s, skills=self.builder.skills(s)) for s in steps]
        return steps + [replace(q, scaffold_of=q.key)] if steps else []

    def known(self, step: TensorQuestion) -> str | None:
        """The answer to a scaffolding step the student already gave right, else None."""
        return self.kept.get(step.key)

    # -- what the ask loop shows (session.run_problem) -----------------------------------

    def expected(self, q: TensorQuestion) -> str | int:
        """The answer as a report writes it: an array's text, a count a whole number."""
        return int(q.expected) if q.kind == counting.KIND else written(q.expected)

    def statement(self, lang: str, full: bool = False):
        """The title, the statement and the given tensors as a table (as `show` draws them)."""
        from tutor.views import matrix as view

        return view.statement(self.problem, lang, full)

    def commands(self, lang: str) -> Group:
        lines = [RichText(say(lang, "commands"), style="dim")]
        if self.guided:
            lines.append(RichText(messages.say(lang, "quiz_guided_enter"), style="dim"))
        lines.append(RichText(messages.say(lang, "quiz_formula_names"), style="dim"))
        if self.by_entries:
            lines.append(
                RichText(messages.say(lang, "quiz_by_entries", n=self.by_entries, m=MAX_ASKED))
            )
        return Group(*lines)

    def header(self, q: TensorQuestion, index: int, total: int, lang: str) -> RichText:
        if q.kind == counting.KIND:
            return counting.header(self.solution, q.name, index, total, lang)
        return header(q, index, total, lang)

    def prompt(self, q: TensorQuestion) -> str:
        return q.prompt()

    def explanation(self, q: TensorQuestion, lang: str):
        """The rule (and in guided mode the value it gives): shown after a wrong answer, a
        reveal, and every answer of a guided quiz."""
        rule = RichText(q.rule, style="cyan")
        if not self.guided or q.kind == counting.KIND:  # a count's rule ends in its value
            return rule
        return Group(rule, RichText(f"{q.label} = {written(q.expected)}", style="cyan"))

    def scaffold_intro(self, q: TensorQuestion, steps: list, lang: str) -> RichText:
        chain = messages.separator("semicolon", lang).join([s.rule for s in steps[:-1]] + [q.rule])
        return RichText(say(lang, "scaffold", steps=chain), style="bold magenta")

    def scaffold_header(self, step, i: int, n: int, of: TensorQuestion, lang: str) -> RichText:
        return _scaffold_head(step, i, n, of.label, lang)

    def kept_line(self, step: TensorQuestion, known: str, lang: str) -> RichText:
        return RichText("  ↳ " + say(lang, "kept", x=step.label, v=known), style="dim green")


# --------------------------------------------------------------------------- views


def header(q: TensorQuestion, index: int, total: int, lang: str) -> RichText:
    """`[5/14] delta  δ(z2)  (3×1)`, a forward step with its equation."""
    line = RichText(f"[{index}/{total}] ", style="dim")
    line.append(quiz_view.label(lang, q.kind), style="bold")
    line.append(f"  {q.label}")
    if q.expected.size > 1:
        line.append(f"  ({shape_text(q.shape)})", style="dim")
    if q.kind in ("forward", "loss"):
        line.append("  " + q.rule, style="cyan")
    return line


def _scaffold_head(q: TensorQuestion, i: int, n: int, of: str, lang: str) -> RichText:
    if i > n:
        line = RichText("  ↳ " + say(lang, "again", of=of) + "  ", style="dim")
    else:
        line = RichText("  ↳ " + say(lang, "scaffold_head", i=i, n=n, of=of) + "  ", style="dim")
    line.append(quiz_view.label(lang, q.kind), style="bold")
    line.append(f"  {q.label}")
    if q.expected.size > 1:
        line.append(f"  ({shape_text(q.shape)})", style="dim")
    return line
