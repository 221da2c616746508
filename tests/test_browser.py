"""The HTML export and the tutorial notebook opened in a real browser: Debian's headless
Chromium driven through chromedriver (Selenium; nothing downloaded), launched once.

Checked on the page: no console errors, every <math> element laid out as MathML with a
non-zero size, the tables' numbers equal to the solution's (ex2's also to a hand derivation).
Screenshots for a person to look at go to build/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil

import pytest
import shared
from test_export import agrees

from tutor.views import html as html_export

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    shared.require(
        bool(CHROMIUM and CHROMEDRIVER),
        "Debian's chromium and chromium-driver (.ci/run installs them)",
    )
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager: never download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--disable-gpu",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1000,800",
        "--force-color-profile=srgb",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def open_page(driver, path):
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(path.as_uri())
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver, name: str):
    """The whole page as build/screenshots/NAME.png."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1000, min(height + 40, 12000))
    shared.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = shared.SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(out))
    driver.set_window_size(1000, 800)
    return out


MATH_BOXES = """return Array.from(document.querySelectorAll('math')).map(m => {
  const r = m.getBoundingClientRect();
  return [r.width, r.height, getComputedStyle(m).display];
});"""

TABLES = """return Array.from(document.querySelectorAll('table')).map(t => {
  let h = t.closest('.bp-scroll').previousElementSibling;
  while (h && !/^H[1-3]$/.test(h.tagName)) h = h.previousElementSibling;
  return {title: h ? h.textContent : '',
          rows: Array.from(t.querySelectorAll('tbody tr')).map(
            r => Array.from(r.cells).map(c => c.textContent.trim()))};
});"""


def check_math(driver, what: str) -> int:
    boxes = driver.execute_script(MATH_BOXES)
    for width, height, display in boxes:
        assert width > 0 and height > 0, what
        assert display in ("math", "inline math", "block math"), (what, display)  # MathML layout
    return len(boxes)


def test_console_errors_are_seen_at_all(browser, tmp_path):
    """The check below is not vacuous: a page that logs an error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><script>console.error('boom')</script>", encoding="utf-8")
    assert any("boom" in e["message"] for e in open_page(browser, page))


def test_ex2_page_in_chromium(browser, tmp_path):
    solution = shared.solved("ex2")
    page = tmp_path / "ex2.html"
    page.write_text(html_export.solution_page(solution), encoding="utf-8")
    assert open_page(browser, page) == []
    assert check_math(browser, "ex2") >= 40
    tables = {t["title"]: t["rows"] for t in browser.execute_script(TABLES)}
    # the hand derivation: z = 3, h = 3, ŷ = 6, L = 8; dL/dw1 = 8, dL/dw2 = 16, dL/db1 = 8,
    # dL/dw3 = 12, dL/db2 = 4; new = old - 0.01·grad
    forward = {r[0]: r[3] for r in tables["Forward pass"]}
    assert all(agrees(forward[k], v) for k, v in {"z": 3, "h": 3, "yhat": 6, "L": 8}.items())
    grads = {r[1]: r[2] for r in tables["Gradients"]}
    hand = {"w1": 8, "w2": 16, "b1": 8, "w3": 12, "b2": 4}
    assert all(agrees(grads[k], v) for k, v in hand.items()), grads
    new = {r[1]: r[-1] for r in tables["Update (sgd, η = 0.01)"]}
    old = {"w1": 1, "w2": 1, "b1": 0, "w3": 2, "b2": 0}
    assert all(agrees(new[k], old[k] - 0.01 * hand[k]) for k in hand), new
    shot = screenshot(browser, "ex2")
    assert shot.stat().st_size > 20_000


@pytest.mark.parametrize("pid, lang", [("ex4", "en"), ("ex6", "zh"), ("ex13", "en")])
def test_more_pages_lay_out_and_show_the_solutions_numbers(browser, tmp_path, pid, lang):
    solution = shared.solved(pid)
    page = tmp_path / f"{pid}.{lang}.html"
    page.write_text(html_export.solution_page(solution, lang), encoding="utf-8")
    assert open_page(browser, page) == []
    assert check_math(browser, pid) > 0
    values = {s.name: s.value for s in solution.forward}
    forward = browser.execute_script(TABLES)[1]  # given, then the forward pass
    assert [r[0] for r in forward["rows"]] == list(values)
    for row in forward["rows"]:
        if values[row[0]] is not None:
            assert agrees(row[3], values[row[0]]), (pid, row)


def test_homework_handouts_open_with_their_math_laid_out(browser, tmp_path):
    """Issue 24: each student's handout (scalar, network and tensor problems on one page)
    opens without errors, every formula laid out as MathML; the student's own numbers shown."""
    import json

    from cli_runner import invoke

    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nS001,Alice\nS002,张三\nS003,Bob\n", encoding="utf-8")
    out = tmp_path / "hw"
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", "ex2,ex4,ex18",
        "--set-name", "week3", "-o", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for student in manifest["students"]:
        page = out / "handouts" / f"{student['id']}.html"
        assert open_page(browser, page) == []
        assert check_math(browser, student["id"]) >= 10
        text = browser.execute_script("return document.body.innerText")
        assert student["name"] in text
        x1 = student["problems"][0]["values"]["x1"]  # ex2's first input, as drawn for them
        tables = browser.execute_script(TABLES)
        assert any(row[:1] == ["x1"] and x1 in row[-1] for t in tables for row in t["rows"]), x1
    screenshot(browser, "homework-handout")


def test_homework_pdf_through_chromium(tmp_path):
    shared.require(bool(CHROMIUM), "Debian's chromium (.ci/run installs it)")
    from cli_runner import invoke

    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nS001,张三\n", encoding="utf-8")
    out = tmp_path / "hw"
    done = invoke(
        "homework", "make", "--roster", str(roster), "--problems", "ex2",
        "--set-name", "w", "-o", str(out), "--pdf",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("handouts/S001.pdf", "keys/S001.pdf"):
        assert (out / name).read_bytes().startswith(b"%PDF"), name
