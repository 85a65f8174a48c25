"""MkDocs hooks: figures built before each build, pages filled from their manifest, math as
MathML. Named in mkdocs.yml; the work is done by sgd_lib.pages and scripts/build_assets.py."""

import logging
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

from sgd_lib.assets import code_version
from sgd_lib.pages import Manifest, PageError, drop_remote_scripts, expand, mathml

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("mkdocs.hooks.sgd")
_manifest: Manifest | None = None


def on_config(config):
    """mkdocs-jupyter keeps the executed notebook in a cache keyed on the notebook's own
    bytes; the notebook runs the library too, so its cache is kept per version of the
    library (its code and the versions it leans on). A build with a broken library then
    fails exactly as a clean one would, and an unchanged one still reuses the run."""
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config["cache"]:
        base = Path(jupyter.config["cache_dir"])
        jupyter.config["cache_dir"] = str(base / f"lib-{code_version(skip=set())[:16]}")
    return config


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
    except PageError as e:
        raise PluginError(str(e)) from None


def on_page_markdown(markdown: str, page, config, files) -> str:
    base = "../" * page.file.src_uri.count("/")  # from the page up to docs/
    try:
        return expand(markdown, _manifest, base)
    except PageError as e:
        raise PluginError(f"{page.file.src_uri}: {e}") from None


def on_page_content(html: str, page, config, files) -> str:
    return drop_remote_scripts(mathml(html))
