"""The class list: a CSV file with a header row, one student a row (`id,name`, more columns
allowed and kept). Ids are the teacher's (student numbers) and name the answer files, so they
are checked: present, unique and safe as a file name."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from tutor.errors import InputError, why

MAX_STUDENTS = 5000
MAX_BYTES = 2_000_000
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    extra: dict = field(default_factory=dict)  # the roster's other columns, kept as written


def read(path: str | Path) -> list[Student]:
    """The students of a roster file; InputError with file:line for a bad one."""
    path = Path(path)
    try:
        data = path.read_bytes()
        if len(data) > MAX_BYTES:
            raise InputError(f"roster too large (more than {MAX_BYTES} bytes)", file=str(path))
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeError) as e:
        raise InputError(f"cannot read the roster: {why(e)}", file=str(path)) from None
    return parse(text, str(path))


def parse(text: str, file: str) -> list[Student]:
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    names = [h.strip().lower() for h in header or ()]
    if "id" not in names or "name" not in names:
        raise InputError("the header row needs the columns id and name", file=file, line=1)
    at_id, at_name = names.index("id"), names.index("name")
    seen: dict[str, int] = {}
    out: list[Student] = []
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(out) >= MAX_STUDENTS:
            raise InputError(f"more than {MAX_STUDENTS} students", file=file, line=line)
        cells = [c.strip() for c in row] + [""] * (len(names) - len(row))
        sid, name = cells[at_id], cells[at_name]
        if not sid:
            raise InputError("a student without an id", file=file, line=line)
        if not SAFE_ID.fullmatch(sid):
            raise InputError(
                f"the id {sid[:40]!r} cannot name a file (letters, digits, . _ - only)",
                file=file,
                line=line,
            )
        if sid in seen:
            raise InputError(f"the id {sid} is already on line {seen[sid]}", file=file, line=line)
        seen[sid] = line
        extra = {
            header[i].strip(): cells[i]
            for i in range(len(names))
            if i not in (at_id, at_name) and header[i].strip()
        }
        out.append(Student(sid, name or sid, extra))
    if not out:
        raise InputError("no students in the roster", file=file)
    return out
