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


def in_view(ref: str, view: str | None = None, *, quiz: bool = False, settings=None):
    """The Problem to show or ask in `view` when it is the matrix view: a tensor file, or a
    `network:` file as matrices; None when the loader's Problem (one weight a row) applies.
    Without `view`: `solve`'s default, matrices, or for a quiz (`quiz`) the file's
    `quiz_view:` (one weight a row without it). A view that does not apply is an InputError
    in the catalogue's words (`solve --view`, `quiz --view`, `tutor.quiz(view=)`)."""
    from tutor.errors import InputError
    from tutor.problems.loader import load_problem, read_doc
    from tutor.problems.matrix_loader import is_tensor_doc

    if view not in (None, "matrix", "scalar"):
        raise InputError.keyed("view_unknown", view=view)
    path = resolve(ref)
    data = read_doc(path).data
    if is_tensor_doc(data):
        if view == "scalar":
            raise InputError.keyed("view_no_scalar")
        if settings:
            raise InputError.keyed("view_set_tensor")
        return load_problem(path)
    chosen = view or (data.get("quiz_view") or "scalar" if quiz else "matrix")
    if "network" in data and chosen == "matrix":
        from tutor.problems import network

        return network.load(path, settings)
    if view == "matrix":
        raise InputError.keyed("view_no_matrix")
    return None


def sheet(ref: str, settings: list[str] | None = None):
    """What `show` prints (a ProblemSheet), with `--set NAME=VALUE` values; no SymPy."""
    from dataclasses import replace

    from tutor.problems.loader import load_sheet, set_values

    loaded = load_sheet(resolve(ref))
    return replace(loaded, **set_values(loaded, settings)) if settings else loaded
