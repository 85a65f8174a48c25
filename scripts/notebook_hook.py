"""MkDocs hook: the executed notebook's cache is kept per version of the library.

mkdocs-jupyter keeps the executed notebook in a cache keyed on the notebook's own bytes; the
notebook runs the library too, so its cache is kept per version of the library (its code and
the versions it leans on). A build with a broken library then fails exactly as a clean one
would, and an unchanged one still reuses the run. A hook of its own, named in mkdocs.yml
before the site's hooks, so a test can build the notebook alone with exactly this rule."""

from pathlib import Path

from sgd_lib.site.freshness import code_version


def on_config(config):
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None and jupyter.config["cache"]:
        base = Path(jupyter.config["cache_dir"])
        jupyter.config["cache_dir"] = str(base / f"lib-{code_version(skip=set())[:16]}")
    return config
