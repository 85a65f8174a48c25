"""The built site in a real browser: Playwright driving the system's Chromium.

No browser download is possible here, so Chromium is launched by its path. Where it is
missing, these tests are skipped with a plain message; under CI (CI=true) a missing browser
is a failure, since `.ci/run` installs it. Screenshots of every page in both schemes and at
phone width are saved under build/screenshots/ for a person to look at.
"""

import functools
import http.server
import json
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from test_site import PAGES

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
# SGD_CHROMIUM names a browser; else Debian's chromium, or the Chrome a CI runner has.
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM = os.environ.get("SGD_CHROMIUM") or next(
    (path for path in map(shutil.which, NAMES) if path), "/usr/bin/chromium"
)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip
PHONE = {"width": 375, "height": 800}

if not Path(CHROMIUM).is_file():
    message = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium): browser tests"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " cannot run, and CI requires them", pytrace=False)
    pytest.skip(message + " skipped", allow_module_level=True)

from playwright.sync_api import Page, sync_playwright  # noqa: E402


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def origin(site_dir):
    handler = functools.partial(Quiet, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Console errors, failed requests and requests to other origins, for one page."""

    def __init__(self, page: Page, origin: str):
        self.problems: list[str] = []
        page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        page.on("requestfailed", self.failed)
        page.on(
            "response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}")
        )

        def request(r):
            scheme = urlsplit(r.url).scheme
            if scheme in ("http", "https") and not r.url.startswith(origin + "/"):
                self.problems.append(f"left the site's origin: {r.url}")

        page.on("request", request)

    def failed(self, r):
        # ERR_ABORTED is the page cancelling a load it no longer wants (the explorer swapping
        # a GIF mid-download), not a broken resource: a missing file shows as a 404 above.
        if "ERR_ABORTED" not in (r.failure or ""):
            self.problems.append(f"failed: {r.url} {r.failure}")


def load_everything(page: Page) -> None:
    """Lazy images load only near the viewport: ask for all of them, and wait."""
    page.evaluate(
        "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    page.wait_for_function(
        "Array.from(document.images).filter(i => i.offsetParent !== null).every(i => i.complete)"
    )


def open_page(browser, origin, name, scheme="light", motion="no-preference", viewport=None):
    context = browser.new_context(
        color_scheme=scheme,
        reduced_motion=motion,
        viewport=viewport or {"width": 1280, "height": 900},
    )
    page = context.new_page()
    watch = Watch(page, origin)
    page.goto(f"{origin}/{name}", wait_until="load")
    return context, page, watch


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_in_each_scheme(browser, origin, name, scheme):
    context, page, watch = open_page(browser, origin, name, scheme)
    try:
        load_everything(page)
        material = {"light": "default", "dark": "slate"}[scheme]
        assert page.get_attribute("body", "data-md-color-scheme") == material
        broken = page.evaluate(
            "Array.from(document.images)"
            ".filter(i => i.offsetParent !== null && !(i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], broken
        # Each figure shows the variant of the page's scheme, and hides the other.
        other = "dark" if scheme == "light" else "light"
        displays = (
            "s => Array.from(document.querySelectorAll('.sgd-' + s))"
            ".map(e => getComputedStyle(e).display)"
        )
        shown, hidden = page.evaluate(displays, scheme), page.evaluate(displays, other)
        assert all(d != "none" for d in shown) and all(d == "none" for d in hidden)
        if name not in ("notebook.html", "results.html", "explorer.html"):
            assert shown, f"{name} has no figures"
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{Path(name).stem}-{scheme}.png", full_page=True)
        assert watch.problems == []
    finally:
        context.close()


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone_without_sideways_scrolling(browser, origin, name):
    context, page, watch = open_page(browser, origin, name, "light", viewport=PHONE)
    try:
        load_everything(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name} is {width} px wide"
        page.screenshot(path=SHOTS / f"{Path(name).stem}-phone.png", full_page=True)
        assert watch.problems == []
    finally:
        context.close()


def test_the_toggle_switches_scheme_and_figures(browser, origin):
    context, page, _ = open_page(browser, origin, "gradient-descent.html", "light")
    try:
        page.click("label[for=__palette_1]")
        assert page.get_attribute("body", "data-md-color-scheme") == "slate"
        figure = page.locator(".sgd-fig").first
        assert figure.locator("img.sgd-dark").is_visible()
        assert not figure.locator("img.sgd-light").is_visible()
    finally:
        context.close()


def anim_src(page: Page, scope: str = "") -> str:
    return page.evaluate(
        "s => { const i = document.querySelector(s + ' .sgd-anim picture.sgd-light img');"
        " return i.currentSrc || i.src; }",
        scope,
    )


def test_animation_pauses_and_plays_by_click_and_by_keyboard(browser, origin):
    context, page, watch = open_page(browser, origin, "index.html")
    try:
        figure = page.locator(".sgd-anim").first
        button = figure.locator("button.sgd-anim__toggle")
        assert figure.get_attribute("data-state") == "playing" and button.inner_text() == "Pause"
        figure.locator("img").first.wait_for()
        page.wait_for_function("document.querySelector('.sgd-anim img').complete")
        button.click()
        assert figure.get_attribute("data-state") == "paused" and button.inner_text() == "Play"
        assert figure.locator("canvas").count() == 1  # frozen on the frame it was showing
        button.focus()
        page.keyboard.press("Enter")
        assert figure.get_attribute("data-state") == "playing"
        assert figure.locator("canvas").count() == 0
        page.keyboard.press("Space")
        assert figure.get_attribute("data-state") == "paused"
        figure.locator("canvas").click()  # the picture itself plays it again
        assert figure.get_attribute("data-state") == "playing"
        assert anim_src(page).endswith(".gif")
        assert watch.problems == []
    finally:
        context.close()


@pytest.mark.parametrize("name", ["index.html", "learning-rate.html", "explorer.html"])
def test_reduced_motion_shows_posters_until_play(browser, origin, name):
    context, page, watch = open_page(browser, origin, name, motion="reduce")
    try:
        load_everything(page)
        sources = page.evaluate(
            "Array.from(document.querySelectorAll('.sgd-anim picture.sgd-light img'))"
            ".map(i => i.currentSrc)"
        )
        assert sources and all(s.endswith("-light.png") and "poster" in s for s in sources)
        figure = page.locator(".sgd-anim").first
        assert figure.get_attribute("data-state") == "paused"
        figure.locator("button").click()
        page.wait_for_function(
            "document.querySelector('.sgd-anim picture.sgd-light img').currentSrc.endsWith('.gif')"
        )
        assert watch.problems == []
    finally:
        context.close()


def explorer_state(page: Page) -> dict:
    return page.evaluate(
        """() => ({
            hash: location.hash,
            run: document.querySelector('[data-explorer]').dataset.run,
            lr: document.querySelector('input[name=lr]:checked').value,
            bs: document.querySelector('input[name=bs]:checked').value,
            gif: document.querySelector('[data-explorer] picture.sgd-light img').src,
            loss: document.querySelector('[data-explorer] .sgd-fig img.sgd-light').src,
            diverged: document.querySelector('dd[data-field=diverged]').textContent,
        })"""
    )


def test_explorer_switches_runs_and_keeps_the_choice_in_the_url(browser, origin, site_dir):
    runs = json.loads((site_dir / "assets" / "manifest.json").read_text())["runs"]
    context, page, watch = open_page(browser, origin, "explorer.html")
    try:
        assert explorer_state(page)["run"] == "gd-lr0.1"
        page.check("input[name=lr][value='1']")  # full batch has no lr 1: the batch size moves
        page.check("input[name=bs][value='4']")
        state = explorer_state(page)
        assert state["hash"] == "#lr=1&bs=4" and state["run"] == "lr1.0-bs4"
        assert state["gif"].endswith("/assets/lr1.0-bs4-fit-light.gif")
        assert state["loss"].endswith("/assets/lr1.0-bs4-loss-light.png")
        shown = runs["lr1.0-bs4"]  # the numbers shown are the animated run's
        assert state["diverged"] == (f"at update {shown['diverged_at']}" if shown["diverged"]
                                     else "no")  # fmt: skip
        # Keyboard alone: arrow keys move within the batch-size group.
        page.focus("input[name=bs][value='4']")
        page.keyboard.press("ArrowRight")
        assert explorer_state(page)["run"] == "lr1.0-bs8"
        assert watch.problems == []
    finally:
        context.close()
    context, page, watch = open_page(browser, origin, "explorer.html#lr=0.01&bs=64")
    try:
        state = explorer_state(page)
        assert (state["run"], state["lr"], state["bs"]) == ("lr0.01-bs64", "0.01", "64")
        assert state["diverged"] == "no"
        page.evaluate("location.hash = '#lr=0.1&bs=full'")
        page.wait_for_function(
            "document.querySelector('[data-explorer]').dataset.run === 'gd-lr0.1'"
        )
        assert watch.problems == []
    finally:
        context.close()


def test_results_link_opens_that_run_in_the_explorer(browser, origin):
    context, page, watch = open_page(browser, origin, "results.html")
    try:
        page.click("a:text-is('lr0.1-bs32')")
        page.wait_for_url("**/explorer.html#lr=0.1&bs=32")
        assert explorer_state(page)["run"] == "lr0.1-bs32"
        assert watch.problems == []
    finally:
        context.close()
