"""Where problems live: the built-in catalogue (shipped in the package) or any YAML file."""

from __future__ import annotations

from pathlib import Path

from tutor.errors import NotFound, TutorError
from tutor.model import ProblemInfo


def builtin_dir() -> Path:
    """The installed `tutor/catalogue` folder, or the repository's `problems/` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "catalogue"
    return installed if installed.is_dir() else package.parent / "problems"


def builtin_files() -> list[Path]:
    return sorted(builtin_dir().glob("*.yaml"), key=_natural)


def _natural(path: Path):
    stem = path.stem
    digits = "".join(c for c in stem if c.isdigit())
    return (stem.rstrip("0123456789"), int(digits) if digits else 0, stem)


def resolve(ref: str) -> Path:
    """A problem id (`ex2`) or a path to a YAML file."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists() or "/" in ref:
        if not path.exists():
            raise NotFound(f"no such problem file: {ref}")
        if not path.is_file():
            raise NotFound(f"not a problem file (a folder or a device): {ref}")
        return path
    candidate = builtin_dir() / f"{ref}.yaml"
    if candidate.is_file():
        return candidate
    known = ", ".join(p.stem for p in builtin_files())
    raise NotFound(f"unknown problem '{ref}' (known: {known})")


def infos() -> list[ProblemInfo | TutorError]:
    """The catalogue for `list`; a broken file shows up as its error, not a crash."""
    from tutor.problems.loader import load_info

    out: list[ProblemInfo | TutorError] = []
    for f in builtin_files():
        try:
            out.append(load_info(f))
        except TutorError as e:
            out.append(e)
    return out


def load(ref: str):
    from tutor.problems.loader import load_problem

    return load_problem(resolve(ref))


def quiz_view(ref: str, view: str | None = None):
    """The matrix view's Problem of a `network:` file when its quiz is asked as matrices
    (`view`, else the file's `quiz_view:`), else None: the loader's Problem is the quiz's.
    A view that does not apply is an InputError (`quiz --view`, `tutor.quiz(view=)`)."""
    from tutor.errors import InputError
    from tutor.problems.loader import read_doc
    from tutor.problems.matrix_loader import is_tensor_doc

    if view not in (None, "matrix", "scalar"):
        raise InputError(f"unknown view '{view}' (use matrix or scalar)")
    path = resolve(ref)
    data = read_doc(path).data
    if is_tensor_doc(data):
        if view == "scalar":
            raise InputError(
                "a tensor problem has no per-weight view (--view scalar is for network: problems)"
            )
        return None
    view = view or data.get("quiz_view")
    if view != "matrix":
        return None
    if "network" not in data:
        raise InputError("the matrix view is for tensor problems and network: problems")
    from tutor.problems import network

    return network.load(path)


def sheet(ref: str, settings: list[str] | None = None):
    """What `show` prints (a ProblemSheet), with `--set NAME=VALUE` values; no SymPy."""
    from dataclasses import replace

    from tutor.problems.loader import load_sheet, set_values

    loaded = load_sheet(resolve(ref))
    return replace(loaded, **set_values(loaded, settings)) if settings else loaded
