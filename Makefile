# Two commands on a fresh machine: `make run` (add DEMO=1 for offline demo feeds) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench browser clean messages

$(VENV)/.run-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(VENV)/.run-installed $@

run: $(VENV)/.run-installed
	PORT=$(PORT) $(VENV)/bin/monitor up $(if $(DEMO),--demo) --port $(PORT)

# Browser tests drive Debian's chromium (never a downloaded browser).
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The layer contract (import-linter) and ruff's lint and format checks (issue 15).
lint: $(VENV)/.dev-installed
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Four pytest processes on two cores: the stack tests spend most of their time waiting on servers and
# processes; work stealing keeps the slow stack tests from ending the run on one process.
test: $(VENV)/.dev-installed browser
	$(PY) -m pytest -q -ra -n 4 --dist worksteal

# Message catalogues: extract every _()/ngettext/N_ string of the Python sources and templates
# (babel.cfg), add the new ones to each language's .po (empty, to translate) and compile the .mo
# files the package ships. tests/unit/test_i18n_catalogue.py fails while a Russian msgstr is empty.
LOCALES := monitor/locale
messages: $(VENV)/.dev-installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output --project monitor -o $(LOCALES)/messages.pot .
	$(VENV)/bin/pybabel -q update -i $(LOCALES)/messages.pot -d $(LOCALES) --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d $(LOCALES) --statistics

bench: $(VENV)/.dev-installed
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
