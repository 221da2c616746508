"""The training loop as generated Python code: the engine's graph, adjoint plan and the
optimizer's rule (`optim.PER_PARAM`) printed as one scalar function.

Plain scalar code in local variables is what makes 10,000 steps of a small network take
milliseconds; its cost grows linearly with the number of edges of the graph.

How the code is made, and why it is safe: every symbol prints as a generated name (v0, v1,
... for values, g0, ... for adjoints, m0/s0 for optimizer state; `FastSums`) when SymPy's
`PythonCodePrinter` prints an expression; numbers are printed by SymPy; functions print as
calls to the function registry's fixed scalar helpers or to `math` (the printer refuses any
function it does not know); hyper-parameters and given values arrive as arguments, never as
text. So the source handed to `compile()` and `exec` contains only our generated names,
SymPy-printed numbers and our helper names: no text from a problem file ever reaches it.
`Program.source` shows it. The engine's numeric function (`engine.Compiled`) is printed the
same way.

Generated sources are cached by content (`cached_source`): the key is a hash of what the
code is generated from (the equations as written, the names, the rule, the versions, the
generator's own modules); the entry is the source text with its own hash, checked before it
is compiled. That hash is unkeyed: it catches an entry cut short, not one edited on purpose.
What keeps the cache from running someone else's code is where it lives: only the user's own
private files are used (a folder owned by the user and writable by nobody else, made 0700;
regular entries owned by the user, written 0600 through `mkstemp` and `os.replace`). A folder
or entry that is not is not used for the rest of the run, and `notes()` says so once (the CLI
prints it). Someone who can write files as the user can change the program itself: out of
scope.

The same folder keeps, pickled, what a second run would otherwise make again, mostly with
SymPy (`cached_object`): a problem file's Problem, its worked solution (derivatives, tidy
forms, errata), its document (the LaTeX and text of every expression) and that document's
HTML (MathML), a review's skills of each problem, keyed by the hash of their pickled inputs
and of the package's whole source. A pickle runs code when it is read, as the
generated source does: the same entries, the same trust, the same checks.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sympy.printing.pycode import PythonCodePrinter

from tutor.engine.scalar import Graph
from tutor.errors import InputError, TutorError
from tutor.registry import optim
from tutor.registry.functions import CODE, FUNCTIONS, NUMERIC, SCALAR

# --------------------------------------------------------------------------- scalar helpers

# From the function registry: helper name -> its `math` form, and SymPy class -> helper name.
HELPERS = SCALAR
_CALLS = CODE
_MATH = {name for name in dir(math) if not name.startswith("_")}  # what the printer may call


class FastSums:
    """A printer mix-in: symbols print as the generated name `names` gives them (so nothing
    is renamed by `xreplace` first), and a sum whose terms are names or products of two
    names (a layer's Σ w·a + b) prints as plain text in SymPy's argument order, without the
    general printer's ordering of terms: per weight that work is most of printing a network.
    Anything else goes to the printer's own rules."""

    names: dict

    def _print_Symbol(self, expr):
        name = self.names.get(expr)
        if name is None:
            raise TutorError("internal: a symbol without a generated name reached the printer")
        return name

    def _print_Add(self, expr, order=None):
        names, parts = self.names, []
        for term in expr.args:
            if term.is_Symbol and term in names:
                parts.append(names[term])
            elif (
                term.is_Mul
                and len(term.args) == 2
                and term.args[0] in names
                and term.args[1] in names
            ):
                parts.append(f"{names[term.args[0]]}*{names[term.args[1]]}")
            else:
                return super()._print_Add(expr, order)
        return " + ".join(parts)


class _Printer(FastSums, PythonCodePrinter):
    """Scalar Python with bare math names; our functions become calls to the helpers."""

    def __init__(self, names: dict):
        super().__init__({"fully_qualified_modules": False, "standard": "python3"})
        self.names = names

    def _print_Function(self, expr):
        name = _CALLS.get(type(expr).__name__)
        if name is not None:
            return f"{name}({', '.join(self._print(a) for a in expr.args)})"
        if type(expr).__name__ in FUNCTIONS:  # SymPy's own (exp, log...): a `math` call
            return super()._print_Function(expr)
        raise TutorError(f"the training compiler does not know the function {type(expr).__name__}")


def lambda_printer(names: dict):
    """The printer `sympy.lambdify` uses for functions taken from NUMERIC, printing the
    generated `names` (see `FastSums`): the engine's numeric function (`Compiled`)."""

    class Printer(FastSums, PythonCodePrinter):
        pass

    printer = Printer(
        {
            "fully_qualified_modules": False,
            "inline": True,
            "allow_unknown_functions": True,
            "user_functions": {k: k for k in NUMERIC},
        }
    )
    printer.names = names
    return printer


for _fn in _CALLS:
    setattr(_Printer, f"_print_{_fn}", _Printer._print_Function)


class Program:
    """One problem's training step, generated once and reused for any number of steps."""

    def __init__(self, graph: Graph, names: tuple[str, ...], optimizer: str, l2: bool = True):
        """`l2=False` leaves the λ·w term out of the code (a little faster when λ = 0)."""
        problem = graph.problem
        if optim.unknown(optimizer):
            raise InputError(optim.unknown(optimizer))
        if not names:
            raise InputError(f"{problem.id} has no parameters to train")
        self.graph, self.names, self.optimizer = graph, tuple(names), optimizer
        self.l2 = l2
        trained = set(self.names)
        self.fixed_names = tuple(n for n in problem.leaves if n not in trained)
        index = {name: i for i, name in enumerate(graph.symbols)}
        self._v = {name: f"v{i}" for name, i in index.items()}
        self._g = {name: f"g{i}" for name, i in index.items()}
        # every symbol prints as its generated name (see the module docstring)
        self._printer = _Printer({graph.symbols[n]: self._v[n] for n in graph.symbols})
        self._compiled: dict[str, object] = {}

    @functools.cached_property
    def _pieces(self) -> tuple[list[str], list[str]]:
        return self._lines()

    @property
    def _forward(self) -> list[str]:
        return self._pieces[0]

    @property
    def _backward(self) -> list[str]:
        return self._pieces[1]

    # -- code pieces
    def _print(self, expr) -> str:
        if expr.is_Symbol:
            return self._printer._print_Symbol(expr)
        return self._printer.doprint(expr)

    def _lines(self) -> tuple[list[str], list[str]]:
        graph, loss = self.graph, self.graph.problem.loss
        nodes = {n.name: n for n in graph.nodes}
        # the nodes the loss depends on through the stable (numeric) forms, and those their
        # local derivatives are written with (d softplus(z)/dz = σ(z) is written as ŷ)
        needed, stack = {loss}, [loss]
        while stack:
            node = nodes[stack.pop()]
            used = set(node.numeric_local)
            for e in (node.numeric_expr, *node.numeric_local.values()):
                used |= {s.name for s in e.free_symbols}
            for name in used:
                if name in nodes and name not in needed:
                    needed.add(name)
                    stack.append(name)
        forward = [
            f"{self._v[n.name]} = {self._print(n.numeric_expr)}"
            for n in graph.nodes
            if n.name in needed
        ]
        # the engine's adjoint plan, printed: only consumers the loss needs, and adjoints only
        # where a trained parameter lies below
        trained = set(self.names)
        reaches = set(trained)
        for n in graph.nodes:
            if any(p in reaches for p in n.numeric_local):
                reaches.add(n.name)
        backward = []
        for name, consumers in graph.adjoint_plan:
            wanted = name in needed if name in nodes else name in trained
            if name != loss and name in reaches and wanted:
                used = [(c, f) for c, f in consumers if c in needed]
                backward.append(f"{self._g[name]} = {self._adjoint(used)}")
        return forward, backward

    def _adjoint(self, consumers) -> str:
        """Σ over consumers c of g_c · ∂c/∂name, as code."""
        loss = self.graph.problem.loss
        terms = []
        for c, local in consumers:
            if local == 0:
                continue
            printed = None if local == 1 else self._print(local)
            upstream = None if c == loss else self._g[c]
            if upstream and printed:
                terms.append(f"{upstream}*({printed})")
            elif upstream or printed:
                terms.append(upstream or f"({printed})")
            else:
                terms.append("1.0")
        return " + ".join(terms) or "0.0"

    def _update(self) -> list[str]:
        """The optimizer's per-parameter rule (`optim.PER_PARAM`), printed for each parameter
        with its generated names."""
        out = []
        for i, p in enumerate(self.names):
            v, g = self._v[p], self._g[p]
            if self.l2:
                out.append(f"{g} = {g} + l2*{v}")
            out += optim.printed(self.optimizer, {"w": v, "g": g, "m": f"m{i}", "v": f"s{i}"})
        return out

    def _unpack(self) -> list[str]:
        lines = []
        if self.fixed_names:
            lines.append(", ".join(self._v[n] for n in self.fixed_names) + ", = fixed")
        lines.append(", ".join(self._v[n] for n in self.names) + ", = params")
        return lines

    def _state_names(self) -> tuple[list[str], list[str]]:
        k = range(len(self.names))
        return [f"m{i}" for i in k], [f"s{i}" for i in k]

    @property
    def source(self) -> str:
        """The generated Python source of the training loop (for reading, and for the tests)."""
        return self._source("run")

    def _source(self, kind: str) -> str:
        loss = self._v[self.graph.problem.loss]
        body = ["    " + line for line in self._unpack()]
        if kind == "loss":
            body += ["    " + line for line in self._forward] + [f"    return {loss}"]
            return "def loss(params, fixed):\n" + "\n".join(body) + "\n"
        if kind == "grads":
            body += ["    " + line for line in self._forward + self._backward]
            body.append("    return [" + ", ".join(self._g[p] for p in self.names) + "]")
            return "def grads(params, fixed):\n" + "\n".join(body) + "\n"
        m, s = self._state_names()
        body.append("    " + ", ".join(optim.HYPERS) + ", l2 = hyper")
        body.append("    " + ", ".join(m) + ", = state[0]")
        body.append("    " + ", ".join(s) + ", = state[1]")
        body.append("    append = losses.append")
        body.append("    t = t0")
        body.append("    for lr in rates:")
        body.append("        t += 1")
        for target, value in optim.PER_STEP.get(self.optimizer, ()):
            body.append(f"        {target} = {value}")
        lines = self._forward + [f"append({loss})"] + self._backward + self._update()
        body += ["        " + line for line in lines]
        body.append(
            "    return [" + ", ".join(self._v[p] for p in self.names) + "], "
            "[[" + ", ".join(m) + "], [" + ", ".join(s) + "]]"
        )
        return "def run(params, state, fixed, hyper, rates, t0, losses):\n" + "\n".join(body) + "\n"

    def _cache_key(self, kind: str) -> list[str]:
        """What the source of `kind` is generated from: the equations as written, the given
        names in order, the trained names, the optimizer and whether λ·w is in."""
        problem = self.graph.problem
        return [
            kind,
            self.optimizer,
            str(self.l2),
            " ".join(problem.leaves),
            " ".join(self.names),
            *equations_key(problem),
        ]

    def _function(self, kind: str):
        if kind not in self._compiled:
            namespace = {name: getattr(math, name) for name in _MATH}
            namespace.update(HELPERS)
            namespace["__builtins__"] = {"abs": abs, "max": max, "min": min, "float": float}
            source = cached_source("train", self._cache_key(kind), lambda: self._source(kind))
            code = compile(source, f"<bptutor {kind}>", "exec")
            exec(code, namespace)  # noqa: S102 (our generated source only: see the module docstring)
            self._compiled[kind] = namespace[kind]
        return self._compiled[kind]

    # -- running
    def run(self, params, state, fixed, hyper, rates, t0, losses):
        """`len(rates)` steps from step number t0; returns the new params and state.

        The loss before each step is appended to `losses` as the step runs. Arithmetic
        failures (OverflowError, math domain errors) propagate: `train` reports them."""
        return self._function("run")(params, state, fixed, hyper, rates, t0, losses)

    def loss(self, params, fixed) -> float:
        try:
            return self._function("loss")(params, fixed)
        except (OverflowError, ValueError, ZeroDivisionError):
            return math.nan

    def grads(self, params, fixed) -> list[float]:
        return self._function("grads")(params, fixed)


# --------------------------------------------------------------------------- the code cache

CACHE_ENV = "BPTUTOR_CACHE"  # a directory for the cache, or "off"
FORMAT = "1"  # part of every key, with `generator_version()`


def equations_key(problem) -> list[str]:
    """A problem's equations as written, in order: with the generator's own version, what
    generated code is made from (the same text always gives the same SymPy expressions)."""
    return [f"{eq.name}={eq.text}" for eq in problem.graph]


def cache_dir() -> Path | None:
    """The user cache directory for generated code (platformdirs), `$BPTUTOR_CACHE` if set;
    None when it is "off"."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    import platformdirs

    return Path(platformdirs.user_cache_dir("bptutor")) / "code"


@dataclass(frozen=True)
class Refusal:
    """The code cache was not used: `path` (its folder or an entry) is not the user's own
    private file. `reason`: "owner" (another user's), "writable" (by group or others) or
    "kind" (not a plain folder or file: a symbolic link, a pipe...)."""

    path: str
    reason: str


_refused: dict[str, Refusal] = {}  # folder -> why: not used again in this process
_untold: list[Refusal] = []


def notes() -> list[Refusal]:
    """The refusals not told yet (each folder's first), now counted as told: the CLI prints
    each in one line."""
    told = list(_untold)
    _untold.clear()
    return told


def _owner() -> int | None:
    return os.geteuid() if hasattr(os, "geteuid") else None  # no owners to compare on Windows


def _untrusted(st: os.stat_result, folder: bool) -> str | None:
    """Why a folder or entry must not be used, from its mode bits and owner (not from access
    checks: root passes those whatever the modes say)."""
    if not (stat.S_ISDIR if folder else stat.S_ISREG)(st.st_mode):
        return "kind"
    owner = _owner()
    if owner is not None and st.st_uid != owner:
        return "owner"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "writable"
    return None


def _refuse(folder: Path, path: Path, reason: str) -> None:
    refusal = Refusal(str(path), reason)
    _refused[str(folder)] = refusal
    _untold.append(refusal)


def _make(folder: Path) -> None:
    """The folder and its missing parents, each 0700 whatever the umask."""
    missing = []
    p = folder
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            continue  # made by a run beside this one (checked below like any folder)
        os.chmod(d, 0o700)  # mkdir's mode passes through the umask


def _folder() -> Path | None:
    """The cache folder, made if missing, or None: off, cannot be made, or not trusted (the
    first time: a note)."""
    folder = cache_dir()
    if folder is None or str(folder) in _refused:
        return None
    try:
        try:
            st = os.stat(folder)  # a symbolic link to a folder: the folder must be ours
        except FileNotFoundError:
            _make(folder)
            st = os.stat(folder)
    except OSError:
        return None  # a read-only home: no cache, nothing to say
    why = _untrusted(st, folder=True)
    if why is not None:
        _refuse(folder, folder, why)
        return None
    if stat.S_IMODE(st.st_mode) != 0o700 and stat.S_ISDIR(st.st_mode):
        try:
            os.chmod(folder, 0o700)  # ours, writable by no one else: made private
        except OSError:
            pass
    return folder


def _read_entry(folder: Path, path: Path) -> bytes | None:
    """The bytes of an entry, None when there is none or it cannot be read; refuses the
    cache (and returns None) when the entry is not the user's own private file. Opened
    without following a symbolic link or waiting on a pipe, checked on the open file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        why = _untrusted(st, folder=False)
        if why is not None:
            _refuse(folder, path, why)
        return None
    with os.fdopen(fd, "rb") as f:
        why = _untrusted(os.fstat(f.fileno()), folder=False)
        if why is not None:
            _refuse(folder, path, why)
            return None
        try:
            return f.read()
        except OSError:
            return None


def _write_entry(folder: Path, path: Path, data: bytes) -> None:
    """A new file made with `mkstemp` in the folder (a fresh name, O_EXCL: never through a
    link planted at a name), 0600, then renamed over the entry in one step."""
    import tempfile  # only when writing: not a start-up cost of every `solve`

    fd, temporary = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), 0o600)  # mkstemp's 0600 passed through the umask
            f.write(data)
        os.replace(temporary, path)  # whole or not at all, for a run beside this one
    except BaseException:
        try:
            os.unlink(temporary)  # a full disk: no empty temporary left behind
        except OSError:
            pass
        raise


def cached_source(kind: str, parts: Iterable[str], make: Callable[[], str]) -> str:
    """The source `make()` generates from `parts`, kept in the cache directory under the hash
    of `parts` (and of the versions the code depends on), so a second run skips generating.

    An entry holds the source and the hash of that source; one whose hash does not match
    (cut short, edited, unreadable) is ignored and written again. A directory that cannot be
    written (a read-only home) only means no cache; one that is not the user's own private
    folder, or an entry that is not the user's own private file, means no cache for the rest
    of the run and a note (`notes`)."""
    import sympy

    from tutor import __version__

    key = _digest((FORMAT, __version__, sympy.__version__, generator_version(), kind, *parts))
    folder = _folder()
    if folder is None:
        return make()
    path = folder / f"{kind}-{key[:32]}.py"
    body = _verified(folder, path, key)
    if str(folder) in _refused:
        return make()
    if body is not None:
        try:
            return body.decode("utf-8")
        except UnicodeError:
            pass
    source = make()
    _store(folder, path, key, source.encode("utf-8"))
    return source


MAX_OBJECT = 16 * 2**20  # bytes: a larger pickle is made again each run rather than kept


_ONE_OFF = [0]  # > 0 inside `one_off()`: cached_object makes its values afresh


@contextlib.contextmanager
def one_off():
    """Inside the block `cached_object` neither reads nor keeps: for values made once and
    never asked for again (a homework set's hundreds of variants, their solutions and
    documents), which would only push out the entries a second run of anything needs (the
    cache keeps MAX_ENTRIES) and cost a pickle and a prune each. Generated code stays cached."""
    _ONE_OFF[0] += 1
    try:
        yield
    finally:
        _ONE_OFF[0] -= 1


def cached_object(kind: str, inputs, make: Callable[[], object]):
    """What `make()` returns, kept pickled in the cache directory under the hash of its
    pickled `inputs` and of the whole package's source (`package_version`), so a second run
    of any command reads a problem file's Problem, a worked solution or its document instead
    of making it again with SymPy (`loader.load_problem`, `explain.solve`,
    `tensor_solve.solve`, `export.document`, `tensor_export.document`, `review.tags`), or a
    document's HTML instead of converting its formulas again (`html_export.fragment`).

    `make` must depend on `inputs` and the package's code alone. The same trust as the
    generated code (a pickle, like source, runs when it is read): only the user's own
    private entries, each checked by its hash; an entry that cannot be read back (damaged,
    or made by other code) is made again. An error of `make()` is raised, never kept."""
    folder = None if _ONE_OFF[0] else _folder()
    if folder is None:
        return make()
    import pickle

    try:
        # no memo: the bytes depend on the values alone, not on which equal objects are
        # shared (a Problem read back from the cache shares fewer strings than one parsed)
        pickled = _pickled(inputs, by_value=True)
    except Exception:  # noqa: BLE001 (anything unpicklable, a cycle, whatever it raises: no cache)
        return make()
    key = _digest((FORMAT, *_versions(), package_version(), kind), pickled)
    path = folder / f"{kind}-{key[:32]}.pickle"
    body = _verified(folder, path, key)
    if str(folder) in _refused:
        return make()
    if body is not None:
        try:
            return pickle.loads(body)
        except Exception:  # noqa: BLE001 (a class since renamed, a damaged stream: made again)
            pass
    value = make()
    try:
        data = _pickled(value)
    except Exception:  # noqa: BLE001 (a value that cannot be pickled is not kept)
        return value
    if len(data) <= MAX_OBJECT:
        _store(folder, path, key, data)
    return value


def _pickled(value, by_value: bool = False) -> bytes:
    """`value` pickled, its SymPy sums, products, powers and function calls as they are
    (`_rebuilt`): SymPy's own pickling builds them again through their evaluating
    constructors, which turn the tidy 2·(a − y) back into 2·a − 2·y."""
    import io
    import pickle

    stream = io.BytesIO()
    pickler = _pickler()(stream, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = by_value  # no memo: equal values give equal bytes, whatever is shared
    pickler.dump(value)
    return stream.getvalue()


@functools.lru_cache(maxsize=1)
def _pickler() -> type:
    import pickle

    import sympy as sp

    exact = (sp.Add, sp.Mul, sp.Pow)

    import numpy as np

    class Pickler(pickle.Pickler):
        def reducer_override(self, obj):
            if type(obj) in exact or isinstance(obj, sp.Function):
                return _rebuilt, (type(obj), obj.args)
            # a key (no memo): equal arrays give equal bytes, a strided view as its copy
            # (a set cannot be made canonical here: the pickler writes one before asking)
            if self.fast and type(obj) is np.ndarray:
                data = np.ascontiguousarray(obj)
                return _array, (data.dtype.str, data.shape, data.tobytes())
            return NotImplemented

    return Pickler


def _rebuilt(cls, args):
    """A SymPy sum, product, power or function call with exactly these arguments, not
    evaluated again (what `_pickled` keeps)."""
    import sympy as sp

    if cls is sp.Add or cls is sp.Mul:
        return cls._from_args(args)
    return cls(*args, evaluate=False)


def _array(dtype: str, shape: tuple, data: bytes):
    """An array from its bytes (how a key pickles one: `_pickler`)."""
    import numpy as np

    return np.frombuffer(data, dtype=dtype).reshape(shape)


def _digest(parts: Iterable[str], tail: bytes = b"") -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(tail)
    return digest.hexdigest()


def _verified(folder: Path, path: Path, key: str) -> bytes | None:
    """An entry's body when its header names `key` and the hash of that body, else None."""
    data = _read_entry(folder, path)
    if data is None:
        return None
    header, _, body = data.partition(b"\n")
    if header != _header_of(key, body):
        return None
    return body


def _store(folder: Path, path: Path, key: str, body: bytes) -> None:
    try:
        _write_entry(folder, path, _header_of(key, body) + b"\n" + body)
        _prune(folder)
    except OSError:
        pass


# the whole catalogue exported in two languages is about 150 entries (problems, solutions,
# documents, code); a large network's training code is a few megabytes
MAX_ENTRIES = 500
STALE = 600  # seconds: a temporary this old was left by a run that stopped (a full disk, a kill)


def _prune(folder: Path, now: float | None = None) -> None:
    """Keep the newest MAX_ENTRIES entries (the cache does not grow without bound) and
    remove stale temporaries. Links and other odd files are left alone (and never followed).
    Only temporaries, and entries when there are too many, are stat'ed: a run that writes a
    hundred entries prunes after each."""
    now = time.time() if now is None else now
    entries = []
    with os.scandir(folder) as found:
        for e in found:
            temporary = e.name.endswith(".tmp") and (".py." in e.name or ".pickle." in e.name)
            if not temporary and not e.name.endswith((".py", ".pickle")):
                continue
            try:
                if not e.is_file(follow_symlinks=False):
                    continue
                if temporary:
                    if now - e.stat(follow_symlinks=False).st_mtime > STALE:
                        _remove(Path(e.path))
                    continue
            except OSError:
                continue
            entries.append(e)
    if len(entries) <= MAX_ENTRIES:
        return
    dated = []
    for e in entries:
        try:
            dated.append((e.stat(follow_symlinks=False).st_mtime, e.name))
        except OSError:
            continue
    dated.sort(reverse=True)
    for _, name in dated[MAX_ENTRIES:]:
        _remove(folder / name)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass  # removed by a run beside this one


@functools.lru_cache(maxsize=1)
def generator_version() -> str:
    """A hash of the modules the generated code depends on (how expressions are read,
    differentiated and printed, and the optimizers' rules): a changed generator never reads
    code an older one cached, even between releases."""
    from tutor.engine.scalar import __file__ as engine_file
    from tutor.problems import expr, layers
    from tutor.registry import functions, optim

    digest = hashlib.sha256()
    for file in (
        __file__,
        engine_file,
        expr.__file__,
        functions.__file__,
        layers.__file__,
        optim.__file__,
    ):
        digest.update(Path(file).read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def package_version() -> str:
    """A hash of every module of the package: a cached Problem or Solution (`cached_object`)
    depends on how files are read, solved and explained, so any change of the code makes
    them again."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for file in sorted(root.rglob("*.py")):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    """The versions a pickled object depends on: ours, Python's, SymPy's and NumPy's (its
    version file read, not imported: a cached solution may need no NumPy at all)."""
    import sys
    from importlib.util import find_spec

    import sympy

    from tutor import __version__

    spec = find_spec("numpy")
    numpy = ""
    if spec is not None and spec.origin:
        try:
            numpy = (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
        except OSError:
            numpy = spec.origin
    return __version__, sys.version, sympy.__version__, numpy


def _header(key: str, body: str) -> str:
    return _header_of(key, body.encode()).decode()


def _header_of(key: str, body: bytes) -> bytes:
    return f"# bptutor {key} {hashlib.sha256(body).hexdigest()}".encode()
