"""The notebook, docs/notebook.ipynb: it numbers steps as the site does (step 0 is the
initial guess), agrees with sgd_lib step for step, still runs where sgd_lib is not installed,
and is fit for the site: alt text on every picture, nothing fetched from elsewhere, a player
whose slider is the training step, and a page of bounded weight."""

import gzip
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from sgd_lib import Experiment, make_data, train

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
SKIPPED = (
    "Check skipped: sgd_lib, the site's library, is not installed here"
    " (it comes with a clone of the repository).\n"
)
# nbconvert gives an <img> without alt this text; it tells a screen reader nothing.
PLACEHOLDER = "No description has been provided for this image"
# The built notebook page, gzipped as GitHub Pages serves it: the code, three plots and the
# lesson's animation (~0.25 MB for 101 frames), about 0.3 MB. With Material's scripts, styles
# and search index (~0.1 MB) its first view stays within the site's 500 KB; well over this,
# someone made the figures or the animation heavy again, or JupyterLab's CSS (0.6 MB) is back.
PAGE_BUDGET = 380_000
# Put first on PYTHONPATH, it makes `import sgd_lib` fail as it does where the library is
# not installed: the import system raises the same error when nothing finds a module.
NO_SGD_LIB = """
import sys


class NoSgdLib:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] == "sgd_lib":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NoSgdLib)
"""


def execute(where: Path) -> nbformat.NotebookNode:
    """The notebook as stored, run top to bottom in a fresh kernel whose working dir is `where`."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(where)}}
    )
    client.execute()
    return nb


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def html_outputs(nb) -> list[str]:
    return [o.data["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if "text/html" in o.get("data", {})]  # fmt: skip


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str) -> list[dict]:
    parser = Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == name]


def test_stored_without_outputs():
    # What the site shows is what running it printed at build time, never a stale copy.
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    return execute(tmp_path_factory.mktemp("notebook"))


def test_step_0_is_the_initial_guess_and_step_k_follows_update_k(executed):
    data = make_data()
    runs = [train(data, Experiment(lr=0.1, batch_size=b)) for b in (None, 16)]
    logs = [printed(c) for c in executed.cells if printed(c).startswith("step   0  loss")]
    assert len(logs) == 2, logs  # gradient descent, then SGD at batch size 16
    for log, history in zip(logs, runs, strict=True):
        expected = "".join(f"step {t:>3}  loss {history.loss[t]:.4f}\n" for t in range(0, 101, 10))
        assert log == expected


def test_the_notebook_agrees_with_sgd_lib(executed):
    last = printed(executed.cells[-1])
    assert last.count("(same as above)") == 2, last


def test_without_sgd_lib_the_check_is_skipped_in_one_sentence(tmp_path, monkeypatch):
    block = tmp_path / "block"
    block.mkdir()
    (block / "sitecustomize.py").write_text(NO_SGD_LIB)
    path = os.pathsep.join(p for p in (str(block), os.environ.get("PYTHONPATH")) if p)
    monkeypatch.setenv("PYTHONPATH", path)
    # The block works (else this test could not fail): sgd_lib is installed in this venv.
    probe = subprocess.run([sys.executable, "-c", "import sgd_lib"], capture_output=True, text=True)
    assert "ModuleNotFoundError: No module named 'sgd_lib'" in probe.stderr
    alone = tmp_path / "download"  # the notebook by itself, as a reader downloads it
    alone.mkdir()
    shutil.copy2(NOTEBOOK, alone / NOTEBOOK.name)
    nb = execute(alone)  # raises CellExecutionError on any error
    assert printed(nb.cells[-1]) == SKIPPED
    assert html_outputs(nb)  # everything before it ran and drew


def test_every_picture_has_alt_text_and_nothing_loads_from_elsewhere(executed):
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    # A bare PNG output becomes an <img> with nbconvert's placeholder: every figure goes
    # through show() or player() instead.
    assert not [o for o in outputs if "image/png" in o.get("data", {})]
    pages = html_outputs(executed)
    images = [img for page in pages for img in tags(page, "img")]
    assert len(images) == 4  # three plots and the animation
    for img in images:
        assert len(img.get("alt", "")) > 40 and img["alt"] != PLACEHOLDER, img.get("alt")
        assert img["src"].startswith("data:image/png;base64,")
    for page in pages:
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "loads from elsewhere"
        assert 'class="fa ' not in page  # no icon font, which would come from a CDN


def test_the_animation_shows_every_step_on_a_named_slider(executed):
    (player,) = [page for page in html_outputs(executed) if "anim-slider" in page]
    (slider,) = [i for i in tags(player, "input") if i.get("type") == "range"]
    assert slider["aria-label"] == "Training step"
    frames = re.findall(r'frames\[(\d+)\] = "data:image/png;base64,', player)
    assert [int(f) for f in frames] == list(range(101))  # slider value k: step k, 0 … 100
    assert len(player) < 600_000, len(player)  # 32-colour frames of a small figure


def test_the_built_page_has_alt_text_everywhere_and_bounded_weight(site_dir):
    page = (site_dir / "notebook.html").read_text()
    images = tags(page, "img")
    assert len(images) >= 4
    for img in images:
        assert img.get("alt", "").strip() and img["alt"] != PLACEHOLDER, img.get("src", "")[:60]
    size = len(gzip.compress(page.encode(), 9))
    assert size < PAGE_BUDGET, f"notebook.html is {size:,} bytes gzipped"


def test_the_built_page_carries_only_the_css_it_uses(site_dir):
    page = (site_dir / "notebook.html").read_text()
    # Inline stylesheets: the one matplotlib's player brings in its output, and the site's
    # own (each named by its file), notebook.css among them on this page only.
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page, re.S)
    player = [s for s in styles if ".anim-buttons" in s and not s.startswith("/* ")]
    own = {re.match(r"/\* ([\w-]+\.css) \*/", s)[1] for s in styles if s.startswith("/* ")}
    assert len(player) == 1
    assert len(styles) == len(player) + len(own) + 1  # and the players' <noscript> one
    assert own == {"site.css", "player.css", "notebook.css"}
    # Every class notebook.css styles is on the page (md-*: Material's own).
    css = (ROOT / "docs" / "stylesheets" / "notebook.css").read_text()
    styled = set(re.findall(r"\.([A-Za-z][\w-]*)", re.sub(r"/\*.*?\*/", "", css, flags=re.S)))
    used = {c for attr in re.findall(r'class="([^"]*)"', page) for c in attr.split()}
    assert {c for c in styled if not c.startswith("md-")} - used == set()
    with_it = {p.name for p in site_dir.glob("*.html") if "/* notebook.css */" in p.read_text()}
    assert with_it == {"notebook.html"}


def test_the_players_frames_are_files_loaded_near_the_view(site_dir):
    """The lesson's player keeps its frames as files (not 0.35 MB of data: URLs in the page),
    in order, one per step, each a PNG that is there; it starts once it nears the view."""
    page = (site_dir / "notebook.html").read_text()
    assert 'frames[0] = "data:' not in page
    frames = re.findall(r'frames\[(\d+)\] = "([^"]+)"', page)
    assert [int(i) for i, _ in frames] == list(range(101))
    for _, url in frames:
        assert (site_dir / url).read_bytes().startswith(b"\x89PNG"), url
    assert page.count("new IntersectionObserver(") == page.count("new Animation(") == 1
