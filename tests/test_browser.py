"""The built book in a real browser: phone and tablet widths, dark mode, equations, errors.

These tests open ``book/_build/html`` (or the folder named by ``RNNCOURSE_BOOK_HTML``) in
Chromium driven by Playwright, served by a local ``http.server`` thread. They check what a
reader sees and cannot be checked from the HTML text alone:

- at 390 px and 800 px wide, the navigation drawer and the page-contents drawer open, and a
  link in the navigation drawer leads to another lesson;
- at 390 px, no page is wider than the screen and no display equation is wider than its
  column (long ones are split in the lesson sources; ``book/_static/rnncourse.js`` scales
  down what is left);
- every text in an exercise verdict box has a WCAG contrast of at least 4.5:1, in the light
  and in the dark theme;
- a lesson page raises no JavaScript error and logs no console error, the page has one
  visible search field at desktop width, and no image's alt text is a file path.

Without a built book or a browser the tests are skipped, except with ``CI=true``, where
either is a failure (CI builds the book first and installs Debian's Chromium). The browser
is the system's Chromium (``RNNCOURSE_CHROMIUM``, default ``/usr/bin/chromium``);
Playwright's own browsers are never downloaded.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BOOK_HTML = Path(os.environ.get("RNNCOURSE_BOOK_HTML", ROOT / "book" / "_build" / "html"))
CHROMIUM = os.environ.get("RNNCOURSE_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 800, "height": 1000}
DESKTOP = {"width": 1200, "height": 900}

# After MathJax has typeset, book/_static/rnncourse.js sets this attribute on <html>.
MATH_READY = "document.documentElement.dataset.rnncourseMath === 'fitted'"


def _unavailable(message: str):
    """A missing book or browser: a failure in CI, a skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the browser test must run in CI)", pytrace=False)
    pytest.skip(message)


def _lesson_pages() -> list[str]:
    return sorted(p.relative_to(BOOK_HTML).as_posix() for p in BOOK_HTML.glob("lessons/[0-9][0-9]_*.html"))


def _display_equation_count(page: str) -> int:
    return (BOOK_HTML / page).read_text(encoding="utf-8").count('<div class="math notranslate nohighlight"')


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@pytest.fixture(scope="module")
def site():
    """The base URL of the built book, served from a thread on a free port."""
    if not (BOOK_HTML / "index.html").is_file():
        _unavailable(f"no built book at {BOOK_HTML} (run `make book` first)")
    handler = functools.partial(_QuietHandler, directory=str(BOOK_HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    """Chromium from the system, launched by Playwright."""
    if not Path(CHROMIUM).is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (install Debian's `chromium` package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright is not installed ({exc}); `pip install -e '.[test]'`")
    manager = sync_playwright().start()
    try:
        try:
            chromium = manager.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        except Exception as exc:  # Playwright raises its own Error type
            _unavailable(f"Playwright could not launch {CHROMIUM}: {exc}")
        yield chromium
        chromium.close()
    finally:
        manager.stop()


@pytest.fixture(scope="module")
def pages():
    """The lesson pages of the built book, relative to its root, in order."""
    lessons = _lesson_pages()
    if not lessons:
        _unavailable(f"no lesson pages in {BOOK_HTML / 'lessons'}")
    return lessons


def _open(browser, site, path, viewport, theme="light"):
    """A new page at `viewport`, in `theme`, with `path` loaded and its maths fitted."""
    context = browser.new_context(viewport=viewport, color_scheme=theme)
    # pydata-sphinx-theme reads the reader's choice from localStorage before it paints.
    context.add_init_script(f"localStorage.setItem('mode', '{theme}'); localStorage.setItem('theme', '{theme}');")
    page = context.new_page()
    page.goto(site + path, wait_until="load")
    page.wait_for_function(MATH_READY, timeout=30_000)
    return page


def _close(page):
    page.context.close()


# ---------------------------------------------------------------- drawers

# An open drawer: pydata-sphinx-theme 0.16 moves the sidebar, with its class, into a <dialog>
# (#pst-primary-sidebar-modal); 0.15 slides the sidebar itself in. Either way the element
# with the class is visible and lies within the screen.
_DRAWER_OPEN = """(cls) => Array.from(document.querySelectorAll('.' + cls)).some(e => {
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return s.visibility !== 'hidden' && s.display !== 'none' && r.width > 100 && r.height > 100
    && r.left >= -1 && r.right <= innerWidth + 1;
})"""


def _open_drawer(page, toggle_class, drawer_class, width):
    toggle = page.locator(f"button.{toggle_class}").first
    assert toggle.is_visible(), f"no {toggle_class} button at {width} px"
    assert not page.evaluate(_DRAWER_OPEN, drawer_class), f"{drawer_class} already open at {width} px"
    toggle.click()
    try:
        page.wait_for_function(_DRAWER_OPEN, arg=drawer_class, timeout=5_000)
    except Exception:  # Playwright's TimeoutError
        pytest.fail(f"the {drawer_class} drawer did not open at {width} px", pytrace=False)
    return page.locator(f".{drawer_class}").filter(visible=True).last


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["390px", "800px"])
def test_navigation_drawer_opens_and_leads_to_another_lesson(browser, site, pages, viewport):
    start, target = pages[1], pages[2]
    page = _open(browser, site, start, viewport)
    try:
        drawer = _open_drawer(page, "primary-toggle", "bd-sidebar-primary", viewport["width"])
        name = Path(target).name
        link = drawer.locator(f"nav a[href$='{name}']").first
        assert link.is_visible(), f"no visible link to {name} in the navigation drawer"
        expected = re.sub(r"^[\d.]+\s*", "", link.inner_text().strip())  # "3. Backprop..."
        link.click()
        page.wait_for_url(f"**/{target}", timeout=10_000)
        page.wait_for_load_state("load")
        heading = page.locator("article h1").first.inner_text()
        assert expected and expected.split()[0] in heading, (expected, heading)
    finally:
        _close(page)


@pytest.mark.parametrize("viewport", [PHONE, TABLET], ids=["390px", "800px"])
def test_page_contents_drawer_opens(browser, site, pages, viewport):
    page = _open(browser, site, pages[2], viewport)
    try:
        drawer = _open_drawer(page, "secondary-toggle", "bd-sidebar-secondary", viewport["width"])
        entry = drawer.locator("nav a").first
        assert entry.is_visible(), "the page-contents drawer shows no section link"
        box = entry.bounding_box()
        assert box and 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"] + 1, box
    finally:
        _close(page)


# ---------------------------------------------------------------- phone width

_OVERFLOWING_EQUATIONS = """() => Array.from(document.querySelectorAll('mjx-container[display="true"]'))
  .filter(c => c.offsetParent !== null && c.scrollWidth > c.clientWidth + 1)
  .map(c => ({id: (c.closest('[id]') || {}).id || '', need: c.scrollWidth, have: c.clientWidth}))"""


def _page_overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def test_lessons_fit_a_phone(browser, site, pages):
    """At 390 px no lesson is wider than the screen and no display equation than its column."""
    most = max(pages, key=_display_equation_count)
    assert _display_equation_count(most) > 0, "no display equations found in any lesson"
    problems = []
    for path in pages:
        page = _open(browser, site, path, PHONE)
        try:
            extra = _page_overflow(page)
            if extra > 1:
                problems.append(f"{path}: the page is {extra} px wider than the screen")
            for eq in page.evaluate(_OVERFLOWING_EQUATIONS):
                problems.append(f"{path}: equation {eq['id'] or '(unlabelled)'} needs {eq['need']} px, has {eq['have']} px")
        finally:
            _close(page)
    assert not problems, f"at 390 px (most equations: {most}):\n" + "\n".join(problems)


def test_api_page_fits_a_phone(browser, site):
    """Long signatures and module paths wrap; docstring equations scroll inside their own box."""
    page = _open(browser, site, "book/api.html", PHONE)
    try:
        extra = _page_overflow(page)
        assert extra <= 1, f"at 390 px the API page is {extra} px wider than the screen"
    finally:
        _close(page)


def test_equations_are_not_scaled_at_desktop_width(browser, site, pages):
    most = max(pages, key=_display_equation_count)
    page = _open(browser, site, most, DESKTOP)
    try:
        scaled = page.evaluate("() => document.querySelectorAll('mjx-container[data-rnncourse-scale]').length")
        assert scaled == 0, f"{scaled} display equations were scaled down at 1200 px in {most}"
        assert not page.evaluate(_OVERFLOWING_EQUATIONS)
    finally:
        _close(page)


# ---------------------------------------------------------------- verdict contrast

_VERDICT_CONTRASTS = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const v = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  // The colour behind an element: its own and its ancestors' backgrounds, composited.
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];  // the canvas, if nothing is opaque
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(x => {
      x /= 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const out = [];
  for (const box of document.querySelectorAll('.rnncourse-verdict')) {
    box.querySelectorAll('details').forEach(d => d.open = true);
    for (const el of [box, ...box.querySelectorAll('*')]) {
      const text = Array.from(el.childNodes).filter(n => n.nodeType === 3)
        .map(n => n.textContent).join('').trim();
      if (!text || el.getClientRects().length === 0) continue;
      const bg = background(el);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
      out.push({tag: el.tagName.toLowerCase(), text: text.slice(0, 40),
                ratio: (l1 + 0.05) / (l2 + 0.05)});
    }
  }
  return out;
}"""


def _verdict_page(pages) -> str:
    for path in pages:
        if "rnncourse-verdict" in (BOOK_HTML / path).read_text(encoding="utf-8"):
            return path
    pytest.fail("no exercise verdict box in any lesson page")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_verdict_text_contrast(browser, site, pages, theme):
    path = _verdict_page(pages)
    page = _open(browser, site, path, DESKTOP, theme=theme)
    try:
        assert page.evaluate("() => document.documentElement.dataset.theme") == theme
        measured = page.evaluate(_VERDICT_CONTRASTS)
        assert measured, f"no text found in the verdict boxes of {path}"
        kinds = {m["tag"] for m in measured}
        assert "code" in kinds, f"the exercise name (<code>) was not measured: {kinds}"
        low = [m for m in measured if m["ratio"] < 4.5]
        assert not low, f"{theme} theme, {path}: contrast below 4.5:1: {low[:5]}"
    finally:
        _close(page)


# ---------------------------------------------------------------- errors, search, images


def test_lesson_page_has_no_javascript_errors(browser, site, pages):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    try:
        page.goto(site + pages[2], wait_until="load")
        page.wait_for_function(MATH_READY, timeout=30_000)
        page.wait_for_timeout(500)  # late errors from deferred scripts
        assert not errors, "\n".join(errors)
    finally:
        context.close()


def test_one_visible_search_field_at_desktop_width(browser, site, pages):
    page = _open(browser, site, pages[2], DESKTOP)
    try:
        fields = page.evaluate(
            """() => Array.from(document.querySelectorAll(
                 'input[type="search"], input[name="q"], .search-button-field, form.bd-search'))
               .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
               .filter((e, _, all) => !all.some(o => o !== e && o.contains(e)))
               .map(e => e.outerHTML.slice(0, 80))"""
        )
        assert len(fields) == 1, f"{len(fields)} visible search fields at 1200 px: {fields}"
    finally:
        _close(page)


def test_image_alt_text_is_not_a_file_path(browser, site, pages):
    bad = []
    for path in pages:
        page = _open(browser, site, path, DESKTOP)
        try:
            for img in page.evaluate("() => Array.from(document.querySelectorAll('article img')).map(i => [i.getAttribute('src'), i.alt])"):
                src, alt = img
                if not alt.strip() or alt == src or re.search(r"\.(png|jpe?g|svg|gif)$|_images/", alt):
                    bad.append(f"{path}: {src} has alt {alt!r}")
        finally:
            _close(page)
    assert not bad, "\n".join(bad[:20])
