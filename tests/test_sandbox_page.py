"""The sandbox page in a real browser: its accessible names are its interface (the Step
button, the labelled outputs), the address is its state, a link from an animation replays
that run, bad values in the address are named on the page, and it fits a phone."""

import json
from urllib.parse import quote

import pytest
from test_browser import browser, open_page, origin  # noqa: F401 (fixtures)

SANDBOX = "sandbox.html"


def ready(page):
    page.wait_for_selector("#sgd-sandbox[data-ready=true]", timeout=15_000)


def readout(page, name: str) -> str:
    return page.get_by_label(name, exact=True).text_content()


def go(browser, origin, query="", **kw):  # noqa: F811
    context, page, watch = open_page(browser, origin, f"{SANDBOX}{query}", **kw)
    ready(page)
    return context, page, watch


def test_step_is_one_update_of_the_lesson_and_the_outputs_say_so(browser, origin, site_dir):  # noqa: F811
    context, page, watch = go(browser, origin)
    try:
        for name in ("Update", "Loss", "Slope", "Intercept", "Distance"):
            assert page.get_by_label(name, exact=True).evaluate("e => e.tagName") == "OUTPUT"
        assert readout(page, "Update") == "0"
        before = float(readout(page, "Loss"))
        page.get_by_role("button", name="Step", exact=True).click()
        assert readout(page, "Update") == "1"
        assert float(readout(page, "Loss")) < before
        # the lesson's first update from (-1, 1) at lr 0.1 on the full batch, by hand
        exported = json.loads((site_dir / "assets" / "sandbox.json").read_bytes())
        d = exported["data"]["lesson"]
        r = [x * -1 + 1 - y for x, y in zip(d["x"], d["y"], strict=True)]
        g = [2 * sum(ri * x for ri, x in zip(r, d["x"], strict=True)) / len(r), 2 * sum(r) / len(r)]
        assert float(readout(page, "Slope")) == pytest.approx(-1 - 0.1 * g[0], abs=1e-4)
        assert float(readout(page, "Intercept")) == pytest.approx(1 - 0.1 * g[1], abs=1e-4)
        assert watch.problems == []
    finally:
        context.close()


@pytest.mark.parametrize("slug", ["lr0.1-bs16", "lr1.0-bs2", "lr1.0-bs1", "gd-lr1.0-cg-shift3.0"])
def test_a_run_of_the_table_opens_live_where_the_build_left_it(browser, origin, site_dir, slug):  # noqa: F811
    manifest = json.loads((site_dir / "assets" / "manifest.json").read_bytes())
    run = manifest["runs"][slug]
    context, page, watch = go(browser, origin, f"?run={quote(slug)}")
    try:
        assert readout(page, "Update") == str(run["steps_run"])
        assert float(readout(page, "Slope")) == pytest.approx(run["params"][0], abs=2e-4)
        assert float(readout(page, "Intercept")) == pytest.approx(run["params"][1], abs=2e-4)
        status = readout(page, "Status")
        assert ("diverged at update" in status) == run["diverged"]
        if run["diverged"]:
            assert status.endswith(str(run["diverged_at"]))
        assert watch.problems == []
    finally:
        context.close()


def test_every_animation_links_to_its_runs_live(site_dir):
    manifest = json.loads((site_dir / "assets" / "manifest.json").read_bytes())
    gd = (site_dir / "gradient-descent.html").read_text()
    assert 'href="sandbox.html?run=gd-lr0.1"' in gd
    for page in ("explorer.html", "overview.html", "momentum.html", "sgd.html"):
        assert "sandbox.html?run=" in (site_dir / page).read_text(), page
    animated = [f for f in manifest["files"] if f["kind"] and f["name"].endswith("-light.gif")]
    assert animated


def test_the_link_from_an_animation_opens_that_run(browser, origin, site_dir):  # noqa: F811
    context, page, watch = open_page(browser, origin, "gradient-descent.html")
    try:
        page.locator(".sgd-anim__live a").first.click()
        ready(page)
        assert "run=" in page.url or "lr=" in page.url
        manifest = json.loads((site_dir / "assets" / "manifest.json").read_bytes())
        run = manifest["runs"]["gd-lr0.1"]
        assert float(readout(page, "Slope")) == pytest.approx(run["params"][0], abs=2e-4)
        assert watch.problems == []
    finally:
        context.close()


def test_bad_values_in_the_address_are_named_and_never_markup(browser, origin):  # noqa: F811
    query = "?lr=-3&batch-size=0&data=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&optimizer=sgd"
    context, page, watch = go(browser, origin, query)
    try:
        alert = page.locator("[data-sb=problems]")
        text = alert.text_content()
        assert "lr=-3" in text and "greater than 0" in text
        assert "batch-size=0" in text
        assert "data=<img" in text and "one of lesson" in text
        assert page.locator("#sgd-sandbox img").count() == 0
        assert page.get_by_label("Learning rate", exact=True).input_value() == "0.1"
        assert watch.problems == []
    finally:
        context.close()


def test_settings_round_trip_through_the_address(browser, origin):  # noqa: F811
    context, page, watch = go(
        browser, origin, "?optimizer=momentum&lr=0.05&momentum=0.5&batch-size=8&seed=7&steps=40"
    )
    try:
        assert page.get_by_label("Optimizer", exact=True).input_value() == "momentum"
        page.get_by_label("Learning rate", exact=True).fill("0.2")
        page.get_by_label("Learning rate", exact=True).press("Enter")
        assert "lr=0.2" in page.url and "momentum=0.5" in page.url and "seed=7" in page.url
        assert "batch-size=8" in page.url
        page.get_by_role("button", name="Play").click()
        page.wait_for_function(
            "document.querySelector('[data-sb=update]').value === '40'", timeout=20_000
        )
        first = readout(page, "Slope")
        page.get_by_role("button", name="Reset").click()
        assert readout(page, "Update") == "0"
        for _ in range(40):
            page.get_by_role("button", name="Step", exact=True).click()
        assert readout(page, "Slope") == first  # the same batches again
        assert watch.problems == []
    finally:
        context.close()


def test_a_control_given_a_value_it_cannot_take_keeps_the_last_good_one_and_says_why(
    browser,  # noqa: F811
    origin,  # noqa: F811
):
    # The controls go through the address's checks (state.js parse), over the settings in
    # force: what it cannot take is named, with what is allowed, and the run goes on.
    context, page, watch = go(browser, origin, "?optimizer=momentum&momentum=0.5&batch-size=8")
    try:
        for label, typed, kept, says in [
            ("Batch size", "2.5", "8", "batch-size 2.5 is not allowed: batch-size must be all"),
            ("momentum", "1", "0.5", "momentum 1 is not allowed: momentum must be"),
        ]:  # fmt: skip
            box = page.get_by_label(label, exact=True)
            box.fill(typed)
            box.press("Enter")
            page.wait_for_function(
                "s => document.querySelector('[data-sb=announce]').textContent.startsWith(s)",
                arg=says, timeout=5_000,
            )  # fmt: skip
            assert box.input_value() == kept
        assert "batch-size=8" in page.url and "momentum=0.5" in page.url
        assert watch.problems == []
    finally:
        context.close()


def test_the_map_sets_the_start_by_keyboard_and_nothing_plays_unasked(browser, origin):  # noqa: F811
    context, page, watch = go(browser, origin, motion="reduce")
    try:
        page.wait_for_timeout(500)
        assert readout(page, "Update") == "0"
        page.locator("[data-sb=map]").focus()
        page.keyboard.press("ArrowRight")
        assert "start=" in page.url
        assert float(page.get_by_label("Start slope").input_value()) > -1
        assert watch.problems == []
    finally:
        context.close()


def test_at_most_four_runs_are_pinned(browser, origin):  # noqa: F811
    context, page, watch = go(browser, origin)
    try:
        for _ in range(5):
            page.get_by_role("button", name="Pin this run").click()
        assert page.get_by_role("button", name="Unpin run 4").count() == 1
        assert page.get_by_role("button", name="Unpin run 5").count() == 0
        assert watch.problems == []
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_it_fits_a_phone_320_px_wide(browser, origin, scheme):  # noqa: F811
    context, page, watch = go(
        browser, origin, scheme=scheme, viewport={"width": 320, "height": 700}
    )
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        assert watch.problems == []
    finally:
        context.close()
