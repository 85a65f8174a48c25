"""The built site: strict build, every link, image and anchor resolves, nothing loads from
elsewhere, numbers and math are filled in, and the notebook runs top to bottom."""

import html
import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from PIL import Image

from sgd_lib.site.page_data import Manifest, PageError, optimizer_words
from sgd_lib.site.pages import expand

ROOT = Path(__file__).resolve().parents[1]
PAGES = [
    "index.html", "data.html", "loss.html", "gradient-descent.html", "sgd.html",
    "learning-rate.html", "batch-size.html", "sandbox.html", "momentum.html", "adaptive.html",
    "second-order.html", "fair-races.html", "schedules.html", "conditioning.html",
    "classification.html", "overview.html", "explorer.html", "notebook.html", "results.html",
]  # fmt: skip
# (tag, attribute) pairs that make the browser load something, and those that only link.
LOADS = {("img", "src"), ("script", "src"), ("link", "href"), ("source", "srcset"),
         ("iframe", "src"), ("video", "src"), ("audio", "src")}  # fmt: skip
LINKS = {("a", "href")}


class Refs(HTMLParser):
    """Every id in a page, and every URL it loads or links to."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, url)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)
            if value and ((tag, name) in LOADS or (tag, name) in LINKS):
                url = value.split()[0] if name == "srcset" else value
                self.refs.append((tag, name, url))


def parse(path: Path) -> Refs:
    refs = Refs()
    refs.feed(path.read_text())
    return refs


def test_every_page_is_built(site_dir):
    for page in PAGES:
        assert (site_dir / page).is_file(), page
    assert (site_dir / "notebook.ipynb").is_file()  # the download
    assert re.search(
        r'<a href="notebook.ipynb"[^>]*download', (site_dir / "notebook.html").read_text()
    )


def test_every_link_image_and_anchor_resolves(site_dir):
    parsed = {p: parse(p) for p in site_dir.rglob("*.html")}
    problems = []
    for page, refs in parsed.items():
        for tag, attr, url in refs.refs:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto") or url.startswith("//"):
                if (tag, attr) in LOADS:
                    problems.append(f"{page.name}: <{tag} {attr}> loads from elsewhere: {url}")
                continue
            if parts.scheme == "data":
                continue
            path = unquote(parts.path)
            # Root-relative paths (the 404 page's) resolve against the site's root.
            start = site_dir if path.startswith("/") else page.parent
            target = (start / path.lstrip("/")).resolve() if path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{page.name}: <{tag} {attr}={url!r}>: no such file")
                continue
            fragment = unquote(parts.fragment)
            # "#lr=0.1&bs=16" is the explorer's state, read by its script, not an anchor.
            if fragment and "=" not in fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    problems.append(f"{page.name}: {url!r}: no anchor #{fragment}")
    assert not problems, "\n".join(problems[:30])


def test_nothing_on_a_page_loads_from_another_origin(site_dir):
    for page in site_dir.rglob("*.html"):
        text = page.read_text()
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page.name
        assert not re.search(r"""<script[^>]+src=["']?(https?:)?//""", text), page.name
        assert not re.search(r"""url\(["']?(https?:)?//""", text), page.name
    for css in site_dir.rglob("*.css"):
        assert not re.search(r"""@import\s+url\(["']?(https?:)?//""", css.read_text()), css


def test_numbers_figures_and_math_are_filled_in(site_dir):
    manifest = json.loads((site_dir / "assets" / "manifest.json").read_text())
    gd = manifest["runs"]["gd-lr0.1"]
    for page in PAGES:
        text = (site_dir / page).read_text()
        assert "{{" not in text, page  # every placeholder was expanded
        assert 'class="arithmatex"' not in text, page  # all math became MathML
    loss = (site_dir / "loss.html").read_text()
    assert f"{gd['initial_loss']:.1f}" in loss  # the initial guess's error, from the build
    assert "<math" in (site_dir / "gradient-descent.html").read_text()
    results = (site_dir / "results.html").read_text()
    for slug, run in manifest["runs"].items():  # every run of the table, optimizers too
        assert f">{slug}</a>" in results, slug
        assert f"{run['loss']:.4g}" in results, slug
        assert html.escape(optimizer_words(run)) in results, slug
    assert "gradient evaluations" in results


def test_every_figure_comes_in_both_schemes(site_dir):
    """One <picture> per figure: the light file in its <img>, the dark one in a <source>
    for the dark scheme (and for animations, each scheme's poster for reduced motion)."""
    for page in PAGES:
        text = (site_dir / page).read_text()
        for picture in re.findall(r"<picture>.*?</picture>", text, re.S):
            light = re.findall(r'(?:src|srcset)="assets/([^"]+)-light\.(png|gif)"', picture)
            dark = re.findall(r'(?:src|srcset)="assets/([^"]+)-dark\.(png|gif)"', picture)
            assert light and sorted(light) == sorted(dark), (page, picture[:300])


def test_code_on_the_pages_is_the_library_source(site_dir):
    text = (site_dir / "gradient-descent.html").read_text()
    assert "a.sub_" in text and "a.grad.zero_" in text
    source = (ROOT / "sgd_lib" / "lesson" / "optimizers.py").read_text()
    assert "a.sub_(lr * a.grad)" in source


def mkdocs_build(config: Path, out: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(out)]
    return subprocess.run(command, capture_output=True, text=True)


def test_a_missing_snippet_fails_the_build(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        '# x\n\n```python\n--8<-- "sgd_lib/lesson/training.py:no-such-section"\n```\n'
    )
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"site_name: t\ndocs_dir: {tmp_path / 'docs'}\n"
        "markdown_extensions:\n  - pymdownx.snippets:\n"
        f"      base_path: [{json.dumps(str(ROOT))}]\n      check_paths: true\n"
    )
    done = mkdocs_build(config, tmp_path / "site")
    assert done.returncode != 0
    assert "no-such-section" in done.stderr


# ---- the placeholder language, on its own --------------------------------------------


@pytest.fixture(scope="module")
def manifest(site_dir) -> Manifest:
    return Manifest.read(ROOT / "docs" / "assets")


def test_num_fills_a_number_from_the_run(manifest):
    run = manifest.runs["lr0.1-bs16"]
    assert expand("{{ num lr0.1-bs16 params.0 .3f }}", manifest) == f"{run['params'][0]:.3f}"
    assert expand("{{ num lr1.0-bs4 diverged }}", manifest) in ("yes", "no")


@pytest.mark.parametrize(
    "text, says",
    [
        ("{{ num lr9-bs1 loss }}", "no experiment 'lr9-bs1'"),
        ("{{ num gd-lr0.1 lossy }}", "no field 'lossy'"),
        ("{{ fig nope 'alt' }}", "no figure 'nope-light.png'"),
        ("{{ grid nope }}", "no shared figure 'nope'"),
        ("{{ frobnicate }}", "unknown command"),
        ("{{ num gd-lr0.1 }}", "wrong number of arguments; use {{ num SLUG FIELD [FORMAT] }}"),
        ("{{ num gd-lr0.1 loss .4q }}", "bad format '.4q'; use a number format"),
        ("{{ num gd-lr0.1 loss >999999999 }}", "bad format '>999999999'"),
        ("{{ num gd-lr0.1 loss s }}", "bad format 's'"),
        ("{{ num gd-lr0.1 params }}", "the value is a list, not a number; name one element"),
        (
            "{{ sweep data lr }}",
            "no shared figure 'data' that draws runs; there are: grid-lr, grid-bs, grid-gd-sgd",
        ),
        ("{{ grid guess }}", "no shared figure 'guess' that draws runs"),
        ("{{ }}", "unknown command; use one of num"),
        ('{{ fig "unclosed }}', "No closing quotation; close every quoted argument, as in"),
        ("{{ num gd-lr0.1 loss .4g }", "'{{ num gd-lr0.1 loss .4g }' is not a whole placeholder"),
        ("a\nb {{ num gd-lr0.1\nloss }}", "line 2: '{{ num gd-lr0.1' is not a whole placeholder"),
        ("{{ num gd-lr0.1 params.-1 }}", "no field 'params.-1'"),
        ("{{ nmu gd-lr0.1 loss .4g }", "'{{ nmu gd-lr0.1 loss .4g }' is not a whole placeholder"),
    ],
)
def test_a_bad_placeholder_is_refused_by_name(manifest, text, says):
    with pytest.raises(PageError, match=re.escape(says)):
        expand(text, manifest)


def test_a_placeholder_left_open_is_found_by_its_line_in_the_file(manifest):
    with pytest.raises(PageError, match=re.escape("line 7: '{{ num gd-lr0.1' is not")):
        expand("text\n\n{{ num gd-lr0.1\nloss }}", manifest, first_line=5)


def test_every_command_left_open_is_refused(manifest):
    with pytest.raises(PageError, match="unknown command; use one of") as known:
        expand("{{ frobnicate }}", manifest)
    commands = known.value.args[0].rsplit("use one of ", 1)[1].split(", ")  # every one there is
    assert "num" in commands and "overview" in commands
    for command in commands:
        with pytest.raises(PageError, match="is not a whole placeholder"):
            expand(f"text {{{{ {command} gd-lr0.1 loss }}\nmore", manifest)
    # TeX's own braces are left alone: \frac{\partial L}{\partial a}} has a "}}"
    assert expand("\\frac{1}{\\partial a}} {{ num gd-lr0.1 steps }}", manifest).endswith("} 100")


def build_one_page(tmp_path, text: str):
    """A site of one page, `text`, built with the real hooks and the real assets."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text(text)
    # The real assets, linked in, so the hook finds a manifest and renders nothing.
    (docs / "assets").symlink_to(ROOT / "docs" / "assets")
    config = tmp_path / "mkdocs.yml"
    config.write_text(
        f"site_name: t\ndocs_dir: {docs}\nhooks:\n  - {ROOT / 'scripts' / 'site_hooks.py'}\n"
    )
    return mkdocs_build(config, tmp_path / "site")


@pytest.mark.parametrize(
    ("placeholder", "says"),
    [
        ("{{ num no-such-run loss }}", "no experiment 'no-such-run'"),
        ("{{ num gd-lr0.1 loss .4q }}", "bad format '.4q'; use a number format: [,][.DIGITS]"),
    ],
)
def test_a_bad_placeholder_fails_the_site_build(site_dir, tmp_path, placeholder, says):
    done = build_one_page(tmp_path, f"# x\n\n{placeholder}\n")
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"index.md: {placeholder!r}: {says}" in done.stderr


def test_a_placeholder_left_open_fails_the_site_build_at_its_line(site_dir, tmp_path):
    # Front matter: MkDocs hands the hook the page without it, and the line is the file's.
    done = build_one_page(tmp_path, '---\ndescription: "x"\n---\n\n# x\n\n{{ num gd-lr0.1 loss }\n')
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "index.md: line 7: '{{ num gd-lr0.1 loss }' is not a whole placeholder" in done.stderr


def test_a_manifest_the_pages_cannot_believe_is_one_clear_error(tmp_path):
    (tmp_path / "manifest.json").write_text('{"files": [], "runs": {"gd-lr0.1": 5}}')
    with pytest.raises(PageError, match=r"manifest.json: no manifest to read \(the top level"):
        Manifest.read(tmp_path)


# ---- the notebook -------------------------------------------------------------------


def test_the_notebook_is_run_again_when_the_library_changes(tmp_path):
    """mkdocs-jupyter caches the executed notebook; a cache that outlived a change to the
    library would let a local build pass where a clean one fails. The notebook is built
    alone, with the site's notebook hook and settings, in a copy of the library."""
    config = (ROOT / "mkdocs.yml").read_text()
    assert "  - scripts/notebook_hook.py" in config
    assert "execute: true" in config and "allow_errors: false" in config
    copy = tmp_path / "repo"
    tracked = subprocess.run(["git", "ls-files", "sgd_lib"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    for name in [*tracked, "scripts/notebook_hook.py", "docs/notebook.ipynb"]:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, copy / name)
    (copy / "mkdocs.yml").write_text(
        "site_name: the notebook alone\nhooks:\n  - scripts/notebook_hook.py\n"
        "plugins:\n  - mkdocs-jupyter:\n      execute: true\n      allow_errors: false\n"
        "nav:\n  - notebook.ipynb\n"
    )
    env = {**os.environ, "PYTHONPATH": str(copy), "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "-d", str(tmp_path / "site")]
    first = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr[-2000:]
    assert list((copy / ".cache").rglob("*.json")), "the notebook was not cached"
    again = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "Cache hit" in again.stderr  # the run was reused
    # The library's default number of updates, which the notebook's last cell relies on.
    experiments = copy / "sgd_lib" / "lesson" / "experiments.py"
    text = experiments.read_text()
    assert "    steps: int = 100  # number of updates" in text
    experiments.write_text(text.replace("steps: int = 100  #", "steps: int = 99  #"))
    second = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    assert second.returncode != 0, "the notebook's cached run hid a changed library"
    assert "notebook.ipynb" in second.stderr


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs: list[dict] = []
        self.in_anim = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure" and "sgd-anim" in (a.get("class") or ""):
            self.in_anim = 1
        if tag == "img":
            self.imgs.append({**a, "animated": bool(self.in_anim)})

    def handle_endtag(self, tag):
        if tag == "figure":
            self.in_anim = 0


def test_figures_have_alt_text_size_and_lazy_loading(site_dir):
    animated = eager_pages = 0
    for page in PAGES:
        images = Images()
        images.feed((site_dir / page).read_text())
        ours = [img for img in images.imgs if img.get("src", "").startswith("assets/")]
        for i, img in enumerate(ours):
            assert len(img.get("alt", "")) > 20, (page, img["src"])
            assert img.get("width", "").isdigit() and img.get("height", "").isdigit(), img["src"]
            # The first figure, when it is in view as the page opens, is fetched at once and
            # first; every other one only when it nears the view.
            if img.get("fetchpriority") == "high":
                assert i == 0 and "loading" not in img, (page, img["src"])
                eager_pages += 1
            else:
                assert img.get("loading") == "lazy", (page, img["src"])
            if img["animated"]:
                animated += 1
                # What it shows and how it ends.
                assert re.search(r"ends at slope|goes off the rails", img["alt"]), img["alt"]
    assert animated >= 6  # the runs, the grids and the linked view
    assert eager_pages >= 5  # home, learning rate, batch size, every run, explorer


def test_every_animation_has_a_player_that_knows_each_frame_step(site_dir):
    """The player's data: the step and MSE of every frame, from the manifest, for a few
    bytes: far under a tenth of the GIF it steps through."""
    manifest = json.loads((site_dir / "assets" / "manifest.json").read_text())
    files = {f["name"]: f for f in manifest["files"]}
    players = 0
    for page in PAGES:
        text = (site_dir / page).read_text()
        for attr in re.findall(r'data-player="([^"]*)"', text):
            config = json.loads(html.unescape(attr))
            for layer in config.get("layers", [config]):
                gif = files[layer["gif"]["light"].removeprefix("assets/")]
                assert layer["steps"] == gif["steps"] and layer["mse"] == gif["mse"]
                assert len(layer["steps"]) == gif["frames"]
                assert layer["gif"]["dark"].endswith(gif["name"].replace("-light.", "-dark."))
                players += 1
            assert len(attr.encode()) < 0.1 * sum(
                files[c["gif"]["light"].removeprefix("assets/")]["bytes"]
                for c in config.get("layers", [config])
            ), page
    assert players >= 22 + 6  # every run on the every-run page, and the animations elsewhere


def test_without_scripts_the_explorer_says_its_choices_do_nothing(site_dir):
    """Its radio buttons and its address need the script: a <noscript> line, above the
    choices, says so and where every run's numbers are instead."""
    text = (site_dir / "explorer.html").read_text()
    lines = re.findall(r"<noscript>\s*<p>(.*?)</p>\s*</noscript>", text, re.S)
    assert len(lines) == 1, lines
    line = " ".join(lines[0].split())
    assert line.startswith("JavaScript is off, so the choices below do nothing"), line
    assert '<a href="results.html">results</a>' in line
    assert text.index(lines[0]) < text.index("data-explorer>")
    others = [p for p in PAGES if p != "explorer.html"]
    assert not any("JavaScript is off" in (site_dir / p).read_text() for p in others)


# ---- pages people share -------------------------------------------------------------

PUBLISHED = "https://example.org/sgd-from-scratch/"  # an address the site could be published at
PREVIEW = "assets/gd-lr0.1-poster-light.png"  # gradient descent's poster, its last frame


class Head(HTMLParser):
    """A page's <title>, and its <meta> tags by name or property."""

    def __init__(self):
        super().__init__()
        self.title = ""
        self.meta: dict[str, str] = {}
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.in_title = tag == "title"
        if tag == "meta" and "content" in a:
            self.meta[a.get("name") or a.get("property")] = a["content"]

    def handle_endtag(self, tag):
        self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.title += data


def head(path: Path) -> Head:
    parsed = Head()
    parsed.feed(path.read_text())
    return parsed


def build_site(out: Path, site_url: str | None) -> Path:
    """The site as `make site` builds it, with SITE_URL set to site_url (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    env |= {"NO_MKDOCS_2_WARNING": "1"} | ({"SITE_URL": site_url} if site_url else {})
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_every_page_describes_itself(site_dir):
    site = re.search(r"^site_description: (.+)$", (ROOT / "mkdocs.yml").read_text(), re.M)[1]
    heads = {page: head(site_dir / page) for page in PAGES}
    descriptions = {page: h.meta.get("description", "") for page, h in heads.items()}
    assert site not in descriptions.values(), "a page has only the site's description"
    assert len(set(descriptions.values())) == len(PAGES), descriptions  # each its own
    for page, h in heads.items():
        # Long enough to say something, short enough not to be cut off in search results.
        assert 50 <= len(descriptions[page]) <= 160, (page, descriptions[page])
        assert h.meta["og:description"] == descriptions[page], page
        assert h.meta["og:title"] and h.meta["og:site_name"] == "SGD from Scratch", page


def test_the_404_page_has_a_title_of_its_own(site_dir):
    titles = {page: head(site_dir / page).title.strip() for page in [*PAGES, "404.html"]}
    assert titles["404.html"] == "Page not found - SGD from Scratch"
    assert len(set(titles.values())) == len(titles), titles  # no two pages share a title


def test_published_the_site_has_a_sitemap_and_link_previews(site_dir, tmp_path):
    # After site_dir: that build ran the notebook, and this one reuses its cached run.
    out = build_site(tmp_path / "site", PUBLISHED)
    locs = re.findall(r"<loc>([^<]*)</loc>", (out / "sitemap.xml").read_text())
    assert sorted(locs) == sorted(PUBLISHED + page for page in PAGES)
    width, height = Image.open(out / PREVIEW).size
    for page in [*PAGES, "404.html"]:
        meta = head(out / page).meta
        assert meta["og:image"] == PUBLISHED + PREVIEW, page
        assert (meta["og:image:width"], meta["og:image:height"]) == (str(width), str(height))
        assert "slope" in meta["og:image:alt"], meta["og:image:alt"]  # says how the run ends
        assert meta["twitter:card"] == "summary_large_image", page
        if page != "404.html":  # it answers for every missing address: it has none of its own
            assert meta["og:url"] == PUBLISHED + page, page


def test_unpublished_the_site_claims_no_address(site_dir, tmp_path):
    # Link previews need absolute addresses; a local build has none, and makes none up.
    out = build_site(tmp_path / "site", None) if os.environ.get("SITE_URL") else site_dir
    assert "<url>" not in (out / "sitemap.xml").read_text()
    for page in [*PAGES, "404.html"]:
        meta = head(out / page).meta
        assert "og:image" not in meta and "og:url" not in meta, page
        assert meta["twitter:card"] == "summary" and meta["og:description"], page


def test_pages_carry_their_own_css_inline_and_scripts_only_where_needed(site_dir):
    """The site's stylesheets are in each page (no round trip before the first paint); its
    scripts are on the pages that have figures, players or the explorer, and no others."""
    for page in [*PAGES, "404.html"]:
        text = (site_dir / page).read_text()
        assert "/* site.css */" in text and "/* player.css */" in text, page
        assert not re.search(r'<link rel="stylesheet" href="[^"]*\bstylesheets/[a-z-]+\.css"',
                             text), page  # fmt: skip
        needs = any(m in text for m in ("data-player=", "data-scheme=", "data-explorer"))
        has = 'javascripts/player.js" defer></script>' in text
        assert has == needs, page
    assert 'javascripts/player.js" defer' not in (site_dir / "notebook.html").read_text()
    assert 'javascripts/player.js" defer' in (site_dir / "index.html").read_text()


def test_every_page_of_the_site_is_checked():
    """PAGES (what the site, browser and accessibility tests open) is every page there is."""
    docs = ROOT / "docs"
    pages = {p.with_suffix(".html").name for p in docs.glob("*.md")}
    pages |= {p.with_suffix(".html").name for p in docs.glob("*.ipynb")}
    assert pages == set(PAGES)
