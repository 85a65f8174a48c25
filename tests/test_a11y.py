"""Accessibility, measured: axe-core (bundled by axe-playwright-python) finds nothing to fix on
any page of the built site, in the light and the dark scheme, at a phone's width and a
desktop's. Chromium and the served site come from test_browser.py, which also skips these
tests where there is no Chromium (and fails them under CI)."""

import pytest
from axe_playwright_python.base import AXE_SCRIPT  # axe-core, as the package bundles it
from test_browser import browser, origin  # noqa: F401 (fixtures: Chromium, the site served)
from test_site import PAGES

SCHEMES = {"light": "default", "dark": "slate"}  # the reader's preference -> Material's scheme
WIDTHS = (390, 1280)  # a phone, a desktop
# Past the bottom of the page, a viewport at a time, waiting two frames at each: whatever
# loads or is built when it comes into view (lazy images, players) is there for axe. Then
# the transitions scrolling started (the header's title fades in) run to their end: half
# faded, text has less contrast than it will have.
SCROLL = """async () => {
    const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
    for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
        scrollTo(0, y);
        await frame();
    }
    const ending = document.getAnimations()
        .filter(a => isFinite(a.effect.getComputedTiming().endTime));
    await Promise.all(ending.map(a => a.finished.catch(() => null)));  // or cancelled
}"""
OPTIONS = "{resultTypes: ['violations']}"  # all of axe's rules but the experimental ones
# axe after SCROLL, started in a tab and left running: the four tabs check a page at once.
START = f"() => {{ window.sgdAxe = ({SCROLL})().then(() => axe.run({OPTIONS})); }}"


@pytest.fixture(scope="module")
def tabs(browser):  # noqa: F811
    """A tab for each scheme and width, reused for every page; axe is in every page they open."""
    contexts, tabs = [], []
    for scheme in SCHEMES:
        for width in WIDTHS:
            viewport = {"width": width, "height": 800}
            contexts.append(browser.new_context(color_scheme=scheme, viewport=viewport))
            contexts[-1].add_init_script(AXE_SCRIPT)
            tabs.append((scheme, width, contexts[-1].new_page()))
    yield tabs
    for context in contexts:
        context.close()


def report(where: str, violations: list[dict]) -> list[str]:
    """One line per rule broken: where, the rule, and the elements that break it."""
    return [
        f"{where}: {v['id']} ({v['impact']}): {v['help']}: "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"])
        for v in violations
    ]


@pytest.mark.parametrize("name", [*PAGES, "404.html"])
def test_axe_finds_nothing_to_fix(tabs, origin, name):  # noqa: F811
    for _, _, page in tabs:
        page.goto(f"{origin}/{name}", wait_until="load")
        page.evaluate(START)
    problems = []
    for scheme, width, page in tabs:
        found = page.evaluate("window.sgdAxe")
        # The page is in the scheme under test (else this would check the other one twice),
        # and axe measured its text.
        assert page.get_attribute("body", "data-md-color-scheme") == SCHEMES[scheme]
        assert "color-contrast" in {rule["id"] for rule in found["passes"]}
        problems += report(f"{name} ({scheme}, {width} px)", found["violations"])
    assert not problems, "\n" + "\n".join(problems)


def test_axe_sees_what_it_should(tabs):
    """The check can fail: a page with the faults fixed above has them found."""
    _, _, page = tabs[0]
    page.set_content(
        '<!doctype html><html lang="en"><title>faults</title><main>'
        '<p style="color: #999; background: #fff">grey on white</p>'
        '<div role="dialog"><button>close</button></div>'
        '<pre style="overflow: auto; width: 5em">a long line that has to scroll sideways</pre>'
        "</main></html>"
    )
    found = page.evaluate(f"axe.run({OPTIONS})")["violations"]
    assert {v["id"] for v in found} >= {
        "color-contrast",
        "aria-dialog-name",
        "scrollable-region-focusable",
    }, report("faults", found)
