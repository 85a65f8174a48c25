"""The built site in a real browser: Playwright driving the system's Chromium.

No browser download is possible here, so Chromium is launched by its path. Where it is
missing, these tests are skipped with a plain message; under CI (CI=true) a missing browser
is a failure, since `.ci/run` installs it. Screenshots of every page in both schemes and at
phone width are saved under build/screenshots/ for a person to look at.
"""

import base64
import functools
import http.server
import io
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image
from test_site import PAGES

from sgd_lib.site.page_data import is_class_grid_run, is_lesson_run
from sgd_lib.site.page_views import explorer_hash

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


def open_page(browser, origin, name, scheme="light", motion="no-preference", viewport=None,
              script=None, scripts=True):  # fmt: skip
    context = browser.new_context(
        color_scheme=scheme,
        reduced_motion=motion,
        viewport=viewport or {"width": 1280, "height": 900},
        java_script_enabled=scripts,
    )
    if script:
        context.add_init_script(script)  # before the page's own scripts
    page = context.new_page()
    watch = Watch(page, origin)
    page.goto(f"{origin}/{name}", wait_until="load")
    return context, page, watch


ASSET_SCHEME = re.compile(r"/assets/[^/?#]+-(light|dark)\.(?:png|gif)$")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_page_loads_cleanly_in_each_scheme(browser, origin, name, scheme):
    context, page, watch = open_page(browser, origin, name, scheme)
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(r.url))
    try:
        load_everything(page)
        material = {"light": "default", "dark": "slate"}[scheme]
        assert page.get_attribute("body", "data-md-color-scheme") == material
        broken = page.evaluate(
            "Array.from(document.images)"
            ".filter(i => i.offsetParent !== null && !(i.naturalWidth > 0)).map(i => i.src)"
        )
        assert broken == [], broken
        # Each figure shows the page's scheme, and the other scheme's files are never fetched.
        shown = page.evaluate(
            "Array.from(document.querySelectorAll('picture img')).map(i => i.currentSrc)"
        )
        assert all(ASSET_SCHEME.search(src).group(1) == scheme for src in shown), shown
        schemes = {m.group(1) for url in fetched if (m := ASSET_SCHEME.search(url))}
        assert schemes <= {scheme}, f"{name} in {scheme} fetched {schemes}"
        # (the sandbox draws on canvases, which tests/test_sandbox_page.py looks at)
        if name not in ("notebook.html", "results.html", "explorer.html", "sandbox.html"):
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


READABLE_PX = 9  # the smallest label a figure may show, in CSS pixels, on a 390 px phone
PHONE_390 = {"width": 390, "height": 844}


@pytest.mark.parametrize("name", PAGES)
def test_every_label_of_every_figure_is_readable_on_a_phone(browser, origin, site_dir, name):
    """Each figure's smallest text (the manifest's text_px, in the image's pixels), as the
    page shows it at 390 px wide: at least READABLE_PX CSS pixels tall."""
    files = json.loads((site_dir / "assets" / "manifest.json").read_text())["files"]
    text_px = {f["name"]: f["text_px"] for f in files}
    context, page, _ = open_page(browser, origin, name, "light", viewport=PHONE_390)
    try:
        load_everything(page)
        shown = page.evaluate(
            "Array.from(document.images).filter(i => i.offsetParent !== null && i.naturalWidth)"
            ".map(i => [i.currentSrc.split('/').pop(), i.getBoundingClientRect().width,"
            " i.naturalWidth])"
        )
        measured = 0
        for file, width, natural in shown:
            if text_px.get(file) is None:  # not a figure of ours, or one with no text
                continue
            css = text_px[file] * width / natural
            assert css >= READABLE_PX, f"{name}: {file}'s smallest text is {css:.1f} CSS px"
            measured += 1
        figure = r'<img [^>]*src="[^"]*assets/[^"/]+-(?:light|dark)\.(?:png|gif)"'
        has_figures = re.search(figure, (site_dir / name).read_text())
        assert measured > 0 or not has_figures, f"{name}: no figure was measured"
    finally:
        context.close()


def test_a_figures_smallest_text_is_the_same_in_both_schemes(site_dir):
    files = json.loads((site_dir / "assets" / "manifest.json").read_text())["files"]
    by_name = {f["name"]: f["text_px"] for f in files}
    for name, px in by_name.items():
        if name.endswith(("-light.png", "-light.gif")):
            assert by_name[name.replace("-light.", "-dark.")] == px, name


def test_the_toggle_switches_scheme_and_figures(browser, origin):
    context, page, _ = open_page(browser, origin, "gradient-descent.html", "light")
    try:
        page.click("label[for=__palette_1]")
        assert page.get_attribute("body", "data-md-color-scheme") == "slate"
        img = page.locator(".sgd-fig img").first
        img.scroll_into_view_if_needed()
        page.wait_for_function(
            "document.querySelector('.sgd-fig img').currentSrc.endsWith('-dark.png')"
        )
        assert img.is_visible()
    finally:
        context.close()


# ---- the player --------------------------------------------------------------------


def gif_frame(path: Path, index: int) -> np.ndarray:
    """Frame `index` of a GIF as the eye sees it (each frame painted over the last), RGB."""
    with Image.open(path) as gif:
        gif.seek(index)
        return np.asarray(gif.convert("RGB"))


def canvas_pixels(canvas) -> np.ndarray:
    """What a canvas (a Playwright locator) shows, RGB."""
    url = canvas.evaluate("c => c.toDataURL('image/png')")
    data = base64.b64decode(url.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def settled(page: Page, figure: str) -> None:
    """Wait until every canvas of the player shows the frame of the step it is at."""
    page.wait_for_function(
        """f => { const p = document.querySelector(f).sgdPlayer;
                  const step = p.clock[p.index];
                  return p.layers.every(l => l.shown === l.frameAt(step) && !l.busy); }""",
        arg=figure,
    )


def manifest_files(site_dir: Path) -> dict[str, dict]:
    manifest = json.loads((site_dir / "assets" / "manifest.json").read_text())
    return {f["name"]: f for f in manifest["files"]}


def test_stepping_lands_on_the_frame_of_that_step(browser, origin, site_dir):
    entries = manifest_files(site_dir)
    entry = entries["gd-lr0.1-fit-light.gif"]
    context, page, watch = open_page(browser, origin, "index.html")
    try:
        figure = page.locator(".sgd-anim").first
        assert figure.get_attribute("data-state") == "playing"
        page.wait_for_selector(".sgd-anim canvas:not([hidden])")  # it took over from the GIF
        slider = page.get_by_role("slider", name="Training step")
        slider.focus()
        page.keyboard.press("Space")
        assert figure.get_attribute("data-state") == "paused"
        # Home, then eleven steps on and two back by the arrow keys: step 9.
        page.keyboard.press("Home")
        for key in ["ArrowRight"] * 11 + ["ArrowLeft"] * 2:
            page.keyboard.press(key)
        settled(page, ".sgd-anim")
        k = entry["steps"].index(9)
        assert slider.input_value() == "9" and figure.get_attribute("data-step") == "9"
        assert np.array_equal(canvas_pixels(page.locator(".sgd-anim canvas").first),
                              gif_frame(site_dir / "assets" / entry["name"], k))  # fmt: skip
        assert slider.get_attribute("aria-valuetext") == (
            f"step 9 of {entry['steps'][-1]}, MSE {entry['mse'][k][0]}"
        )
        # Said politely once the reader moved it, and not at every frame while playing.
        status = figure.locator("[role=status]")
        assert status.inner_text() == slider.get_attribute("aria-valuetext")
        # The slider itself, and the buttons; End is the last frame, the poster.
        slider.fill("57")
        settled(page, ".sgd-anim")
        assert figure.get_attribute("data-step") == "57"
        figure.get_by_role("button", name="Next step").click()
        figure.get_by_role("button", name="Previous step").click()
        figure.get_by_role("button", name="Previous step").click()
        settled(page, ".sgd-anim")
        assert figure.get_attribute("data-step") == "56"
        assert np.array_equal(canvas_pixels(page.locator(".sgd-anim canvas").first),
                              gif_frame(site_dir / "assets" / entry["name"], 56))  # fmt: skip
        slider.focus()
        page.keyboard.press("End")
        settled(page, ".sgd-anim")
        assert figure.get_attribute("data-step") == str(entry["steps"][-1])
        # Play again from the keyboard, and it moves on; the status stays as it was.
        page.keyboard.press("Space")
        before = status.inner_text()
        page.wait_for_function(
            "document.querySelector('.sgd-anim').dataset.step > '0' && "
            "document.querySelector('.sgd-anim').dataset.state === 'playing'"
        )
        page.wait_for_timeout(300)
        assert status.inner_text() == before
        # The picture itself pauses it.
        figure.locator("canvas").click()
        assert figure.get_attribute("data-state") == "paused"
        assert watch.problems == []
    finally:
        context.close()


def test_the_gif_is_fetched_once_and_decoded_from_the_cache(browser, origin):
    context, page, _ = open_page(browser, origin, "index.html")
    try:
        page.wait_for_selector(".sgd-anim canvas:not([hidden])")
        sizes = page.evaluate(
            "performance.getEntriesByType('resource')"
            ".filter(e => e.name.endsWith('.gif')).map(e => e.transferSize)"
        )
        assert len(sizes) == 2 and sorted(sizes)[0] == 0, sizes  # the img's, then the cache's
    finally:
        context.close()


def test_speed_changes_how_fast_the_steps_go(browser, origin):
    context, page, _ = open_page(browser, origin, "index.html")
    try:
        page.wait_for_selector(".sgd-anim canvas:not([hidden])")
        figure = page.locator(".sgd-anim").first
        advanced = {}
        for speed in ("0.5", "2"):
            figure.locator("select").select_option(speed)
            figure.get_by_role("slider", name="Training step").fill("5")  # pauses, at step 5
            figure.get_by_role("button", name="Play the animation").click()
            page.wait_for_timeout(1500)
            advanced[speed] = int(figure.get_attribute("data-step")) - 5
        # 60 ms a frame: ~12 steps in 1.5 s at half speed, ~50 at twice; a busy machine is
        # slower, never faster.
        assert advanced["2"] > 2 * advanced["0.5"] > 0, advanced
    finally:
        context.close()


def test_a_grid_plays_in_lockstep_under_one_player(browser, origin, site_dir):
    entries = manifest_files(site_dir)
    entry = entries["grid-lr-light.gif"]
    context, page, watch = open_page(browser, origin, "learning-rate.html")
    try:
        figure = page.locator(".sgd-anim").first
        figure.scroll_into_view_if_needed()
        assert figure.get_by_role("slider").count() == 1  # one player for the three panels
        slider = figure.get_by_role("slider", name="Training step")
        step = entry["steps"][30]
        slider.fill(str(step))
        settled(page, ".sgd-anim")
        assert np.array_equal(canvas_pixels(page.locator(".sgd-anim canvas").first),
                              gif_frame(site_dir / "assets" / entry["name"], 30))  # fmt: skip
        text = slider.get_attribute("aria-valuetext")
        assert text.startswith(f"step {step} of {entry['steps'][-1]}: ")
        # Each run's MSE at that step, and the runs that ended before it say so.
        runs = json.loads((site_dir / "assets/manifest.json").read_text())["runs"]
        for slug, value in zip(entry["experiments"], entry["mse"][30], strict=True):
            run = runs[slug]
            assert f"MSE {value}" in text
            if run["steps_run"] < step:
                assert f"(ended at step {run['steps_run']})" in text
        assert watch.problems == []
    finally:
        context.close()


def test_every_run_page_steps_all_cells_together_and_links_each(browser, origin, site_dir):
    manifest = json.loads((site_dir / "assets/manifest.json").read_text())
    entries = {f["name"]: f for f in manifest["files"]}
    # The lesson's runs: SGD at a constant rate on the lesson's data, then on the classes
    # (the optimizers' runs have pages of their own).
    runs = manifest["runs"]
    manifest["table"] = [*(s for s in manifest["table"] if is_lesson_run(runs[s])),
                         *(s for s in manifest["table"] if is_class_grid_run(runs[s]))]  # fmt: skip
    assert len(manifest["table"]) == 22 + 23
    context, page, watch = open_page(browser, origin, "overview.html")
    try:
        cells = page.locator(".sgd-cell")
        assert cells.count() == len(manifest["table"])
        root = ".sgd-overview"
        assert page.locator(root).get_attribute("data-state") == "paused"  # posters until played
        assert not any(u.endswith(".gif") for u in page.evaluate(
            "performance.getEntriesByType('resource').map(e => e.name)"))  # fmt: skip
        page.get_by_role("slider", name="Training step").fill("7")
        settled(page, root)
        for i, slug in enumerate(manifest["table"]):
            entry = entries[f"{slug}-thumb-light.gif"]
            frame = max(k for k, s in enumerate(entry["steps"]) if s <= 7)  # ended: holds
            mse = page.locator(".sgd-cell__mse").nth(i).inner_text()
            loss = "MSE" if runs[slug]["problem"] == "line" else "CE"
            assert mse == f"{loss} {entry['mse'][frame][0]}", slug
            if i in (0, len(manifest["table"]) - 1) or entry["steps"][-1] < 7:
                shown = canvas_pixels(cells.nth(i).locator("canvas"))
                assert np.array_equal(shown, gif_frame(site_dir / "assets" / entry["name"], frame))
        # Each cell links to its run in the explorer, and to the same run live in the sandbox.
        explorer = [cells.nth(i).locator("a:not(.sgd-cell__live)") for i in range(cells.count())]
        hrefs = [link.get_attribute("href") for link in explorer]
        lrs = {slug: manifest["runs"][slug] for slug in manifest["table"]}
        assert hrefs == [
            f"explorer.html#lr={r['lr']:g}&bs={r['batch_size'] or 'full'}"
            + ("" if r["problem"] == "line" else f"&data={r['problem']}")
            for r in lrs.values()
        ]
        live = [cells.nth(i).locator("a.sgd-cell__live").get_attribute("href")
                for i in range(cells.count())]  # fmt: skip
        assert live == [f"sandbox.html?run={slug}" for slug in manifest["table"]]
        link = explorer[3]
        slug = manifest["table"][3]
        link.click()
        page.wait_for_function(
            f"document.querySelector('[data-explorer]')?.dataset.run === '{slug}'"
        )
        assert watch.problems == []
    finally:
        context.close()


def test_without_a_gif_decoder_the_player_plays_and_pauses(browser, origin):
    context, page, watch = open_page(browser, origin, "index.html",
                                     script="delete window.ImageDecoder")  # fmt: skip
    try:
        figure = page.locator(".sgd-anim").first
        assert figure.get_by_role("slider").count() == 0  # no frames to step to
        button = figure.get_by_role("button", name="Pause the animation")
        page.wait_for_function("document.querySelector('.sgd-anim img').complete")
        button.click()
        assert figure.get_attribute("data-state") == "paused"
        assert figure.locator("canvas").count() == 1  # frozen on the frame it was showing
        figure.get_by_role("button", name="Play the animation").click()
        assert figure.get_attribute("data-state") == "playing"
        assert figure.locator("canvas").count() == 0
        assert page.evaluate("document.querySelector('.sgd-anim img').currentSrc").endswith(".gif")
        assert watch.problems == []
    finally:
        context.close()


def test_the_notebooks_player_loads_its_frames_only_near_the_view(browser, origin):
    context, page, watch = open_page(browser, origin, "notebook.html", viewport=PHONE)
    frames: list[str] = []
    page.on("request", lambda r: "/assets/notebook/" in r.url and frames.append(r.url))
    try:
        page.wait_for_timeout(500)
        assert frames == []
        slider = page.locator("input.anim-slider")
        slider.scroll_into_view_if_needed()
        page.wait_for_function("() => document.querySelector('input.anim-slider').max === '100'")
        slider.fill("50")
        src = page.locator("img[id^=_anim_img]").evaluate("i => i.src")
        assert len(set(frames)) == 101 and src == sorted(set(frames), key=frames.index)[50]
        assert watch.problems == []
    finally:
        context.close()


def test_without_scripts_the_gif_plays_and_no_dead_controls_show(browser, origin):
    context, page, watch = open_page(browser, origin, "learning-rate.html", scripts=False)
    try:
        figure = page.locator(".sgd-anim").first
        assert not figure.locator(".sgd-player").is_visible()
        img = figure.locator("img")
        img.scroll_into_view_if_needed()
        page.wait_for_function("document.querySelector('.sgd-anim img').complete")
        assert img.evaluate("i => i.currentSrc").endswith("/assets/grid-lr-light.gif")
        assert watch.problems == []
    finally:
        context.close()


@pytest.mark.parametrize("name", ["index.html", "learning-rate.html", "explorer.html"])
def test_reduced_motion_starts_paused_on_the_poster(browser, origin, name):
    context, page, watch = open_page(browser, origin, name, motion="reduce")
    try:
        load_everything(page)
        sources = page.evaluate(
            "Array.from(document.querySelectorAll('.sgd-anim picture img')).map(i => i.currentSrc)"
        )
        assert sources and all(s.endswith("-light.png") and "poster" in s for s in sources)
        gifs = page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.name.endsWith('.gif')).length"
        )
        assert gifs == 0
        figure = page.locator(".sgd-anim").first
        assert figure.get_attribute("data-state") == "paused"
        slider = figure.get_by_role("slider", name="Training step")
        assert slider.input_value() == slider.get_attribute("max")  # the poster: the last step
        slider.focus()
        page.keyboard.press("Home")  # the player is ready: the first step, decoded
        settled(page, ".sgd-anim")
        assert figure.get_attribute("data-step") == "0"
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
            gif: document.querySelector('[data-explorer] .sgd-anim img').src,
            loss: document.querySelector('[data-explorer] .sgd-fig img').src,
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


def test_explorer_chooses_an_optimizer_and_a_data_setting(browser, origin, site_dir):
    context, page, watch = open_page(browser, origin, "explorer.html#lr=0.1&bs=full&opt=adam")
    try:
        state = explorer_state(page)
        assert state["run"] == "gd-lr0.1-adam"
        assert state["gif"].endswith("/assets/gd-lr0.1-adam-fit-light.gif")
        assert page.locator("dd[data-field=optimizer]").inner_text().startswith("Adam, betas")
        page.check("input[name=data][value='moved']")
        state = explorer_state(page)
        assert (state["run"], state["hash"]) == (
            "gd-lr0.1-adam-shift3.0",
            "#lr=0.1&bs=full&opt=adam&data=moved",
        )
        # Gradient descent on the moved data runs at another lr: the nearest run, said so.
        page.check("input[name=opt][value='sgd']")
        state = explorer_state(page)
        assert state["run"] == "gd-lr0.05-shift3.0" and state["lr"] == "0.05"
        status = page.locator(".sgd-explorer__status").inner_text()
        assert "There is no run with optimizer SGD and lr 0.1." in status
        page.check("input[name=data][value='centred']")
        assert explorer_state(page)["run"] == "gd-lr0.05-shift3.0-centred"
        assert watch.problems == []
    finally:
        context.close()
    # Every run of the table can be reached by its own fragment.
    runs = json.loads((site_dir / "assets" / "manifest.json").read_text())["runs"]
    context, page, watch = open_page(browser, origin, "explorer.html")
    try:
        for slug, run in runs.items():
            page.evaluate(f"location.hash = '#{explorer_hash(run)}'")
            page.wait_for_function(
                f"document.querySelector('[data-explorer]').dataset.run === '{slug}'"
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


def status_says(page: Page, words: str) -> str:
    """Wait until the explorer's status line holds `words`; its text."""
    page.wait_for_function(
        "w => document.querySelector('.sgd-explorer__status').textContent.includes(w)", arg=words
    )
    return page.locator(".sgd-explorer__status").inner_text()


def go_to_hash(page: Page, hash: str) -> None:
    """Set the address's fragment, and return once the page has handled its hashchange."""
    page.evaluate(
        """h => new Promise(done => {
            addEventListener("hashchange", () => setTimeout(done), { once: true });
            location.hash = h;
        })""",
        hash,
    )


def test_explorer_says_when_its_address_names_no_run(browser, origin, site_dir):
    manifest = json.loads((site_dir / "assets" / "manifest.json").read_text())
    runs = [manifest["runs"][slug] for slug in manifest["table"]]
    lrs = sorted({r["lr"] for r in runs})
    sizes = sorted({r["batch_size"] for r in runs if r["batch_size"]})
    allowed = (
        f"The learning rates are the {len(lrs)} above, from {lrs[0]:g} to {lrs[-1]:g}; "
        f"the batch sizes are full batch, {', '.join(map(str, sizes[:-1]))} and {sizes[-1]}."
    )
    context, page, watch = open_page(browser, origin, "explorer.html#lr=999&bs=7",
                                     viewport=PHONE)  # fmt: skip
    try:
        status = page.locator(".sgd-explorer__status")
        assert (status.get_attribute("role"), status.get_attribute("aria-live")) == (
            "status",
            "polite",
        )
        said = status_says(page, "There is no run with lr 999 or batch size 7. ")
        assert said.endswith(allowed), said
        # The run shown is the page's first, and the address stays as the reader gave it.
        assert explorer_state(page)["run"] == manifest["table"][0]
        assert page.evaluate("location.hash") == "#lr=999&bs=7"
        status.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "explorer-no-run-phone-light.png")
        page.click("label[for=__palette_1]")
        assert page.get_attribute("body", "data-md-color-scheme") == "slate"
        page.screenshot(path=SHOTS / "explorer-no-run-phone-dark.png")

        # While open: a run's address, then one with a size no run has, then a pair that
        # no run has together; the run shown stays the last that was one.
        page.evaluate("location.hash = '#lr=0.01&bs=64'")
        assert status_says(page, "Showing SGD") == "Showing SGD, batch size 64, lr 0.01."
        page.evaluate("location.hash = '#lr=0.01&bs=3'")
        said = status_says(page, "There is no run with batch size 3. ")
        assert said.startswith("Showing SGD, batch size 64, lr 0.01. ")
        assert explorer_state(page)["run"] == "lr0.01-bs64"
        # Newton's is, and gradient descent's on the classes; not on the lesson's data
        page.evaluate("location.hash = '#lr=1&bs=full'")
        no_run = ("There is no run with optimizer SGD, data the lesson's data, lr 1 and batch "
                  "size full batch.")  # fmt: skip
        said = status_says(page, no_run)
        assert no_run in said
        assert explorer_state(page)["run"] == "lr0.01-bs64"
        # A value from the address is text, never markup.
        page.evaluate("location.hash = '#lr=<img src=x onerror=alert(1)>&bs=full'")
        status_says(page, "There is no run with lr <img src=x")
        assert page.locator(".sgd-explorer__status *").count() == 0
        assert watch.problems == []
    finally:
        context.close()


def test_explorer_says_nothing_of_a_run_it_has_or_of_another_anchor(browser, origin):
    context, page, watch = open_page(browser, origin, "explorer.html#lr=0.1&bs=32")
    try:
        assert status_says(page, "Showing") == "Showing SGD, batch size 32, lr 0.1."
        # The skip link's and the code's line anchors are no choice of run: nothing changes.
        for anchor in ("#explorer", "#__codelineno-0-3"):
            go_to_hash(page, anchor)
            assert status_says(page, "Showing") == "Showing SGD, batch size 32, lr 0.1."
            assert explorer_state(page)["run"] == "lr0.1-bs32"
        assert watch.problems == []
    finally:
        context.close()
