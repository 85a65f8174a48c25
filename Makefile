# The commands people type. `make test` is the README's test command; every target
# sets up what it needs (a .venv in the repo) and is idempotent.

# The interpreter the venv is made from.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Touched after a successful install: a second `make` reinstalls only when the
# lock or the project metadata changed.
STAMP  := $(VENV)/.installed

.PHONY: venv test check check-tests js-test lint format lock clean assets bench serve site audit

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@# The lock already holds setuptools, so the editable build needs no download.
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

test: venv
	$(BIN)/python -m pytest

# The edit-test loop's tier, under a minute: lint, the lesson's oracles (the optimizers,
# training, the data, the experiments table), the command line's contract and the
# JavaScript core. `make test` runs all of it and everything else.
CHECK_TESTS := tests/test_optimizers.py tests/test_train.py tests/test_data.py \
	tests/test_experiments.py tests/test_cli.py tests/test_problems.py tests/test_problem_training.py

# The two halves run side by side, one on each core.
check: lint
	@$(MAKE) --no-print-directory -j2 js-test check-tests

check-tests: venv
	$(BIN)/python -m pytest -q $(CHECK_TESTS)

# The sandbox's JavaScript core against the lesson: pytest writes fixtures from the Python
# trainer and runs Node's own test runner on them (tests/js/oracle.mjs, tests/js/state.mjs);
# the replay of the built table's runs needs the asset build and runs in `make test` only.
js-test: venv
	@command -v node >/dev/null || { echo "js-test: the JavaScript tests need Node 20 (node)"; exit 1; }
	$(BIN)/python -m pytest -q tests/test_sandbox_core.py -k "update_by_update or cover"

# The site with live reload on http://127.0.0.1:8000; stale figures are rendered first, and
# edits to pages or to the library show up without a restart.
serve: venv
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# The static site in site/, built strictly: a broken link, snippet or notebook fails it.
# Built beside it and swapped in only when the build succeeded: a failed build leaves the
# last good site/ in place.
site: venv
	rm -rf build/site.new build/site.old
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site.new
	if [ -d site ]; then mv site build/site.old; fi
	mv build/site.new site
	rm -rf build/site.old

# Every figure of the experiments table into docs/assets; only what is stale is rendered.
assets: venv
	$(BIN)/python scripts/build_assets.py

# Our renderer against the seed-style one, in one run: seconds and bytes per GIF, and ratios;
# then the statistics of every setting, and the tuning protocol's grids, batched, against
# the lesson's loop.
bench: venv
	$(BIN)/python scripts/bench_render.py
	$(BIN)/python scripts/bench_studies.py
	$(BIN)/python scripts/bench_tuning.py
	$(BIN)/python scripts/bench_sandbox.py

# Lighthouse (mobile) on every page of a fresh site/ served with gzip, and the bytes each
# page's first view transfers in the light and the dark scheme; prints a table. A benchmark:
# a missed target is a figure, only a tool that fails to run fails it. Lighthouse is the one
# in scripts/audit/package-lock.json, installed from npm into build/lighthouse when missing
# or when the lock changed; it drives Debian's Chromium, so no browser is downloaded.
LIGHTHOUSE := build/lighthouse/node_modules/.installed

audit: venv site $(LIGHTHOUSE)
	$(BIN)/python scripts/audit.py

$(LIGHTHOUSE): scripts/audit/package.json scripts/audit/package-lock.json
	mkdir -p build/lighthouse
	cp scripts/audit/package.json scripts/audit/package-lock.json build/lighthouse/
	cd build/lighthouse && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-resolve requirements.lock from pyproject.toml (pip-tools in its own venv, so the
# project's venv holds only what the lock says).
lock:
	@test -x $(VENV)-lock/bin/pip-compile || \
		($(PYTHON) -m venv $(VENV)-lock && $(VENV)-lock/bin/pip install --quiet pip-tools==7.6.2)
	$(VENV)-lock/bin/pip-compile --quiet --all-extras --allow-unsafe --strip-extras \
		--no-emit-find-links --no-emit-index-url --no-emit-trusted-host \
		-o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) $(VENV)-lock .pytest_cache .ruff_cache *.egg-info site build .cache
