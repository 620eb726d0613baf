# TripBot: `make run` starts it, `make test` proves it. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STATIC := src/tripbot/gateway/static/vendor
TRANSLATIONS := src/tripbot/gateway/translations
BOT_TRANSLATIONS := src/tripbot/bot/translations
PROBLEM_TRANSLATIONS := src/tripbot/translations
POT := $(VENV)/pot
EXTRACT := --no-location --sort-output --omit-header
UPDATE := --ignore-pot-creation-date --no-fuzzy-matching --ignore-obsolete
PORT ?= 8000
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
# The Ansible release whose collections the deployment checks use (Galaxy is not needed: the
# collections are taken from its wheel on PyPI). Keep deploy/ansible/requirements.yml in step.
ANSIBLE_RELEASE := 12.3.0
ANSIBLE_COLLECTIONS := amazon.aws ansible.posix community.docker community.general community.library_inventory_filtering_v1
COLLECTIONS_DIR := $(VENV)/share/ansible-collections

.PHONY: lock run test setup lint typecheck contracts pytest chaos deploy-check bench assets translations extract-messages clean demo dist

run: $(VENV)/.runtime assets translations ## Set up what running needs, then start TripBot embedded on http://127.0.0.1:$(PORT)
	$(BIN)/tripbot run --port $(PORT) --data-dir var $(RUN_ARGS)

demo: RUN_ARGS = --demo
demo: run ## Like run, with a small demo club

test: setup lint typecheck contracts deploy-check pytest ## Set up, then run every check and the whole suite

setup: $(VENV)/.installed $(COLLECTIONS_DIR)/.installed assets translations

# Every dependency comes from the hash-locked requirements/dev.txt (`make lock` remakes it);
# TripBot itself is installed editable with the locked build backend.
$(VENV)/.installed: pyproject.toml requirements/dev.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "TripBot needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.runtime

# What running needs and no more (no test, lint or deployment tools): the hash-locked
# requirements/runtime.txt, as the image installs it. A set-up development venv has it all.
$(VENV)/.runtime: pyproject.toml requirements/runtime.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "TripBot needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -f $(VENV)/.installed && [ $(VENV)/.installed -nt requirements/runtime.txt ] || { \
	  $(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet --require-hashes -r requirements/runtime.txt && \
	  $(BIN)/python -m pip install --quiet --no-deps -e . ; }
	touch $@

# The lock files: every dependency (and theirs) pinned with hashes, for every platform TripBot
# runs on. Existing pins are kept unless pyproject.toml needs others; `make lock UPGRADE=1`
# moves everything to the newest allowed versions.
LOCK = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--quiet --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

lock: $(VENV)/.installed ## Refresh requirements/runtime.txt (the image) and requirements/dev.txt (make setup, CI)
	$(LOCK) -o requirements/runtime.txt
	$(LOCK) --extra dev -o requirements/dev.txt

$(COLLECTIONS_DIR)/.installed: $(VENV)/.installed deploy/ansible/requirements.yml
	rm -rf $(COLLECTIONS_DIR) && mkdir -p $(COLLECTIONS_DIR)
	$(BIN)/python -m pip download --quiet --no-deps --dest $(COLLECTIONS_DIR)/.wheel ansible==$(ANSIBLE_RELEASE)
	$(BIN)/python -c 'import sys, zipfile; wheel, dest, *names = sys.argv[1:]; keep = tuple("ansible_collections/" + n.replace(".", "/") + "/" for n in names); archive = zipfile.ZipFile(wheel); archive.extractall(dest, [m for m in archive.namelist() if m.startswith(keep)])' $(COLLECTIONS_DIR)/.wheel/ansible-$(ANSIBLE_RELEASE)-py3-none-any.whl $(COLLECTIONS_DIR) $(ANSIBLE_COLLECTIONS)
	rm -rf $(COLLECTIONS_DIR)/.wheel
	touch $@

assets: $(STATIC)/.built ## Copy the front-end packages (from npm) into the package's static folder

$(STATIC)/.built: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(STATIC)/materialize $(STATIC)/material-icons/files
	cp node_modules/@materializecss/materialize/dist/css/materialize.min.css $(STATIC)/materialize/
	cp node_modules/@materializecss/materialize/dist/js/materialize.min.js $(STATIC)/materialize/
	cp node_modules/@fontsource/material-icons/files/material-icons-latin-400-normal.woff* $(STATIC)/material-icons/files/
	cp node_modules/@fontsource/material-icons/latin-400.css $(STATIC)/material-icons/material-icons.css
	mkdir -p $(STATIC)/leaflet/images $(STATIC)/chartjs
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css $(STATIC)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(STATIC)/leaflet/images/
	cp node_modules/chart.js/dist/chart.umd.min.js $(STATIC)/chartjs/
	touch $@

translations: $(VENV)/.runtime ## Compile the Spanish and English catalogues (web, bot, problems)
	$(BIN)/pybabel compile --statistics -d $(TRANSLATIONS)
	$(BIN)/pybabel compile --statistics -D bot -d $(BOT_TRANSLATIONS)
	$(BIN)/pybabel compile --statistics -D problems -d $(PROBLEM_TRANSLATIONS)

extract-messages: $(VENV)/.installed ## Refresh the catalogues from the code and templates
	# No source locations and sorted, so one new message changes a few lines of a catalogue; the
	# templates (.pot) are intermediate and stay out of the tree.
	mkdir -p $(POT)
	$(BIN)/pybabel extract $(EXTRACT) -F babel.cfg -k _l -k _pl:1c,2 -o $(POT)/messages.pot src/tripbot
	$(BIN)/pybabel update $(UPDATE) -i $(POT)/messages.pot -d $(TRANSLATIONS)
	$(BIN)/pybabel extract $(EXTRACT) --no-default-keywords -k tr -k t:2 -k tn:2,3 -k marked \
		-o $(POT)/bot.pot src/tripbot/bot
	$(BIN)/pybabel update $(UPDATE) -D bot -i $(POT)/bot.pot -d $(BOT_TRANSLATIONS)
	$(BIN)/pybabel extract $(EXTRACT) --no-default-keywords -k Message \
		-o $(POT)/problems.pot src/tripbot
	$(BIN)/pybabel update $(UPDATE) -D problems -i $(POT)/problems.pot -d $(PROBLEM_TRANSLATIONS)

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

pytest:
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --ignore=tests/deploy $(PYTEST_ARGS)

chaos: setup ## Only the fault injection: service processes killed mid-scenario (also in make test)
	$(BIN)/pytest -m chaos $(PYTEST_ARGS)

deploy-check: ## Offline checks of deploy/: Dockerfile, Compose, Kubernetes, Ansible, Vagrant, and the Compose topology run for real
	$(BIN)/pytest tests/deploy $(PYTEST_ARGS)

# bench/summary.py and helper modules (bench/_*.py) are not benchmarks: the summary runs last.
BENCHMARKS = $(filter-out bench/summary.py bench/_%.py,$(wildcard bench/*.py))

bench: setup ## Run every benchmark in bench/ (results in bench/results/, table in bench/RESULTS.md)
	for script in $(BENCHMARKS); do $(BIN)/python $$script || exit 1; done
	$(BIN)/python bench/summary.py

dist: $(VENV)/.installed assets translations ## Build the wheel and sdist into dist/ (web assets and compiled catalogues inside)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) node_modules $(STATIC) var .mypy_cache .ruff_cache .pytest_cache
