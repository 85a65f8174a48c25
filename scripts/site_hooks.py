"""MkDocs hooks: figures built before each build, pages filled from their manifest, math as
MathML, the notebook page made like the others. Named in mkdocs.yml; the work is done by
sgd_lib.site.pages and scripts/build_assets.py."""

import hashlib
import json
import logging
import re
import subprocess
import sys
from base64 import b64decode
from pathlib import Path

from mkdocs.exceptions import PluginError

from sgd_lib.site.page_data import Manifest, PageError, describe, ending
from sgd_lib.site.pages import drop_remote_scripts, expand, mathml

ROOT = Path(__file__).resolve().parents[1]
# The picture a link to any page previews with (overrides/main.html): gradient descent's
# poster, the last frame of its animation.
PREVIEW = "gd-lr0.1"
log = logging.getLogger("mkdocs.hooks.sgd")
_manifest: Manifest | None = None


def on_pre_build(config) -> None:
    """Render whatever figures are missing or stale (nothing, in a fraction of a second, when
    nothing changed). A fresh process each time, so a library edited while `mkdocs serve`
    runs is the library that renders."""
    global _manifest
    out = Path(config.docs_dir) / "assets"
    command = [sys.executable, str(ROOT / "scripts" / "build_assets.py"), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise PluginError(f"building the figures failed:\n{done.stderr.strip()}")
    for line in (done.stderr + done.stdout).strip().splitlines():
        log.info(line)  # what the build said: its summary, a manifest it could not trust
    try:
        _manifest = Manifest.read(out)
        run = _manifest.run(PREVIEW)
        poster = dict(_manifest.variants(f"{PREVIEW}-poster", "png"))["light"]
    except PageError as e:
        raise PluginError(str(e)) from None
    config.extra["preview"] = {
        "src": f"assets/{poster['name']}",
        "width": poster["width"],
        "height": poster["height"],
        "alt": f"Last frame of the animation of {describe(run)}, fitting a line to the orange "
        f"points over {run['steps']} updates; {ending(run)}.",
    }


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        # A notebook has no front matter: its page's description is in its own metadata.
        notebook = json.loads(markdown)
        page.meta["description"] = notebook["metadata"].get("description")
    base = "../" * page.file.src_uri.count("/")  # from the page up to docs/
    # Lines are counted in the page's file, front matter included.
    source = Path(page.file.abs_src_path).read_text(encoding="utf-8")
    at = source.find(markdown)
    first_line = source[:at].count("\n") + 1 if at >= 0 else 1
    try:
        return expand(markdown, _manifest, base, first_line)
    except PageError as e:
        raise PluginError(f"{page.file.src_uri}: {e}") from None


def on_page_content(html: str, page, config, files) -> str:
    if page.file.src_uri.endswith(".ipynb"):
        try:
            html = notebook_cells(html)
            html = animation_frames(html, Path(config.site_dir), page.file.src_uri)
        except ValueError as e:
            raise PluginError(f"{page.file.src_uri}: {e}") from None
    return focusable_scrollers(drop_remote_scripts(mathml(html)))


# The site's own stylesheets (docs/stylesheets/), a few KB, go into each page's <head>: a
# stylesheet that is a file holds up the first paint for a round trip of its own.
_OWN_CSS = re.compile(r'<link rel="stylesheet" href="[^"]*?\bstylesheets/([a-z-]+\.css)">')
# The site's scripts, on a page with nothing for them to do (no figure, player or explorer):
# run just before the page's load event, they only lengthen its longest task.
_OWN_JS = re.compile(r'<script src="[^"]*?\bjavascripts/(?:player|figures)\.js" defer></script>')
_FOR_SCRIPTS = ("data-player=", "data-scheme=", "data-explorer")


def on_post_page(output: str, page, config) -> str:
    return lighten(output, Path(config.docs_dir))


def on_post_template(output: str, template_name: str, config) -> str:
    return lighten(output, Path(config.docs_dir))  # the 404 page


def lighten(output: str, docs: Path) -> str:
    def inline(match: re.Match) -> str:
        css = (docs / "stylesheets" / match.group(1)).read_text()
        return f"<style>/* {match.group(1)} */\n{css}</style>"

    output = _OWN_CSS.sub(inline, output)
    if not any(marker in output for marker in _FOR_SCRIPTS):
        output = _OWN_JS.sub("", output)
    return output


# Code blocks, tables and display math scroll sideways when wider than the page; a reader
# without a mouse scrolls them once they can take the keyboard's focus.
_SCROLLERS = re.compile(r'<pre>(?:<span></span>)?<code>|<table>|<div class="sgd-math">')


def focusable_scrollers(html: str) -> str:
    """The last tag of each match gets tabindex="0"."""
    return _SCROLLERS.sub(lambda m: m[0][:-1] + ' tabindex="0">', html)


_START, _END = '<div class="jupyter-wrapper">', "</div> <!-- jupyter-wrapper -->"
# mkdocs-jupyter's copy button and the hidden copy of the source it copies, for each cell.
_COPY = re.compile(
    r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>'
    r'|<div class="clipboard-copy-txt" id="cell-\d+">.*?</div>',
    re.S,
)
_INPUT = re.compile(r'<div class="highlight-ipynb[^"]*"><pre><span></span>(.*?)</pre></div>', re.S)
_CODE_BLOCK = r'<div class="highlight"><pre><span></span><code>\1</code></pre></div>'
# Tab stops on every cell, and on outputs that never scroll (pictures, the player).
_TAB_STOP = re.compile(r'(class="jp-Cell-inputWrapper"|data-mime-type="text/html") tabindex="0"')


def notebook_cells(html: str) -> str:
    """mkdocs-jupyter's page made as the site's other pages are: its cells only, their code
    in Material's code blocks (its colours, copy buttons and heading links), styled by
    stylesheets/notebook.css.

    Dropped: what it puts around the cells, JupyterLab's stylesheet (0.6 MB), the script of
    its own copy buttons, MathJax and Mermaid loaders (the notebook has no TeX and no
    diagrams), and needless tab stops."""
    start, end = html.find(_START), html.rfind(_END)
    if start < 0 or end < 0:
        raise ValueError(f"no {_START} … {_END} around the cells: has mkdocs-jupyter changed?")
    cells = _COPY.sub("", html[start : end + len(_END)])
    cells = _INPUT.sub(_CODE_BLOCK, cells)
    cells = _TAB_STOP.sub(r"\1", cells)
    return cells.replace('class="anchor-link"', 'class="headerlink" title="Permanent link"')


# matplotlib's jshtml player keeps every frame in the page as a data: URL and loads them all
# as the page opens: 0.35 MB of the notebook page, and its longest task. Each frame becomes
# a file (named by its content), and the player starts once it nears the view.
_FRAME = re.compile(r'(frames\[\d+\] = ")data:image/png;base64,([A-Za-z0-9+/=]+)(";?)')
_START_PLAYER = re.compile(r"setTimeout\(function\(\) \{(.*?)\}, 0\);", re.S)
_WHEN_NEAR = """new IntersectionObserver(function (seen, observer) {
      if (!seen.some(function (e) { return e.isIntersecting; })) return;
      observer.disconnect();%s},
      { rootMargin: "400px" }).observe(document.getElementById(img_id));"""
FRAMES_DIR = "assets/notebook"


def animation_frames(html: str, site: Path, src_uri: str) -> str:
    """The jshtml players' frames as PNG files under site/FRAMES_DIR, loaded near the view."""
    if not _FRAME.search(html):
        return html
    base = "../" * src_uri.count("/")
    folder = site / FRAMES_DIR
    folder.mkdir(parents=True, exist_ok=True)

    def save(match: re.Match) -> str:
        png = b64decode(match[2])
        name = f"{hashlib.sha256(png).hexdigest()[:16]}.png"
        (folder / name).write_bytes(png)
        return f"{match[1]}{base}{FRAMES_DIR}/{name}{match[3]}"

    html = _FRAME.sub(save, html)
    html, started = _START_PLAYER.subn(lambda m: _WHEN_NEAR % m[1], html)
    if started != html.count("new Animation("):
        raise ValueError("a jshtml player is not started by setTimeout: has matplotlib changed?")
    return html
