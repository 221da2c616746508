"""The user's cache: generated source (`cached_source`) and pickled objects
(`cached_object`) kept between runs, and the rules that decide which files it trusts.

Generated code is compiled and run, and a pickle runs code when it is read, so the cache is
only as safe as who can write it. It trusts exactly the user's own private files: a folder
owned by the user and writable by nobody else (made 0700), regular entries owned by the user,
written 0600 through `mkstemp` and `os.replace`, each with the hash of its body checked
before use. A folder or entry that is not is not used for the rest of the run, and `notes()`
says so once (the CLI prints it). That hash is unkeyed: it catches an entry cut short, not one
edited on purpose; someone who can write files as the user can change the program itself:
out of scope. Below the engine: reading a problem file caches its Problem here too."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CACHE_ENV = "BPTUTOR_CACHE"  # a directory for the cache, or "off"
FORMAT = "2"  # part of every key


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

    from tutor.version import __version__

    key = _digest((FORMAT, __version__, sympy.__version__, kind, *parts))
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
    hundred entries prunes after each. Past the limit it keeps four fifths of it, so that
    a run writing thousands of entries (a sweep over variants) sorts them once in a hundred
    writes, not at every write."""
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
    for _, name in dated[max(1, MAX_ENTRIES * 4 // 5) :]:
        _remove(folder / name)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass  # removed by a run beside this one


@functools.lru_cache(maxsize=1)
def package_version() -> str:
    """A hash of every module of the package: a cached Problem or Solution (`cached_object`)
    depends on how files are read, solved and explained, so any change of the code makes
    them again."""
    root = package_root()
    digest = hashlib.sha256()
    for file in sorted(root.rglob("*.py")):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes())
    return digest.hexdigest()


def package_root() -> Path:
    """The `tutor` package's folder (this module sits at its top)."""
    return Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[str, ...]:
    """The versions a pickled object depends on: ours, Python's, SymPy's and NumPy's (its
    version file read, not imported: a cached solution may need no NumPy at all)."""
    import sys
    from importlib.util import find_spec

    import sympy

    from tutor.version import __version__

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
