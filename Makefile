# The two commands of the README. Each creates .venv and installs requirements.txt when needed.
#   make test   the package's tests and every chapter notebook (book/conftest.py executes each
#               chapter once and stores the run in _build/.jupyter_cache)
#   make book   build the book into _build/html (every page rebuilt; a chapter's stored run is
#               reused, a chapter not run since its code changed is executed) and check that
#               the pages work offline. `make clean` drops the stored runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed

.PHONY: test book assets clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --disable-pip-version-check -r requirements.txt
	touch $@

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

# MathJax and the widget manager are vendored in book/_static/vendor; this re-fetches them
# (pinned versions, checked hashes) only if they are missing or changed.
assets:
	$(PYTHON) scripts/fetch_offline_assets.py

book: $(STAMP) assets
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	$(BIN)/python tests/check_offline_html.py _build/html
	$(BIN)/python tests/check_built_pages.py _build/html

clean:
	rm -rf _build
