"""Handouts and keys printed to PDF by headless Chromium (`--print-to-pdf`), the browser the
tests already drive; nothing else is needed, and its absence is said in one line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tutor.errors import InputError

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT = 120  # seconds for one page


def chromium() -> str | None:
    """The path of a Chromium on PATH, or None."""
    return next((p for p in map(shutil.which, NAMES) if p), None)


def print_pdf(browser: str, page: Path, out: Path) -> None:
    """`page` (an HTML file) printed to `out`; InputError when Chromium fails."""
    argv = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-pdf-header-footer",
        f"--print-to-pdf={out}",
        page.resolve().as_uri(),
    ]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InputError(f"Chromium could not print {page}: {e}") from None
    if done.returncode != 0 or not out.exists():
        raise InputError(f"Chromium could not print {page} (exit {done.returncode})")
