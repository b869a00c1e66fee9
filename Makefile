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

# Five pytest processes on two cores: the stack tests spend much of their time waiting on servers
# and processes (at -n 4 the machine stood idle 14% of the run: 6:05; at -n 5, 5:38); work stealing
# keeps the slow stack tests from ending the run on one process. Bytecode is written even where
# PYTHONDONTWRITEBYTECODE is set (as on these machines): otherwise each pytest process rewrites
# the asserts of every test module again, 3.4 s of CPU each.
test: $(VENV)/.dev-installed browser
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -ra -n 5 --dist worksteal

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
