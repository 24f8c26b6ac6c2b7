# The two commands of the README: `make demo` and `make test`.
# Each creates the project's own virtual environment and installs what it needs.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
# The demo's addresses, from the command line or the environment (`make demo PORT=5001 OAI_PORT=8791`):
# the one place they are set; OAI_PORT moves the demo's OAI-PMH endpoint and the source harvested from it.
HOST     ?= 127.0.0.1
PORT     ?= 5000
OAI_PORT ?= 8790

.PHONY: demo test install install-test browser postgresql solr bench clean

demo: install
	@$(BIN)/unioncat --config config.yaml demo --host $(HOST) --port $(PORT) --oai-port $(OAI_PORT)

# Two pytest-xdist workers, one per core; tests that share a module's fixture or one heavy resource
# stay in one worker (`--dist loadgroup`, see tests/conftest.py).
test: install-test browser postgresql solr
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup $(PYTEST_ARGS)

# setuptools tells every editable install of a flat layout (our top-level packages, see setup.cfg) that a folder
# named like a package may shadow it: information, not a fault, so it is the one notice kept out of the output
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	@echo "installing unioncat and its dependencies into $(VENV) (once; about a minute)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(QUIET_EDITABLE) $(BIN)/python -m pip install --quiet -e .
	@touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	$(QUIET_EDITABLE) $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Debian's chromium for the browser tests (Playwright cannot download its own here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; \
	  fi; }

# Debian's PostgreSQL for the tests on PostgreSQL: the suite starts its own throwaway server
# from /usr/lib/postgresql/<version>/bin (the system's own server is not used).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	  else \
	    echo "PostgreSQL is missing: run 'sudo apt-get install postgresql'" >&2; exit 1; \
	  fi; }

# The test-only SolrCloud launcher (solr/launcher): Maven fetches solr-test-framework 9.10.1 into ~/.m2 once
# (about 125 MB), then builds offline; the jars are copied under solr/launcher/target, which git ignores.
SOLR_LAUNCHER := solr/launcher/target/solr-launcher-1.jar

solr: $(SOLR_LAUNCHER)

$(SOLR_LAUNCHER): solr/launcher/pom.xml $(shell find solr/launcher/src -name '*.java' 2>/dev/null)
	@command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 || { \
	  echo "Java 17 and Maven are needed for the SolrCloud tests: apt-get install openjdk-17-jdk-headless maven" >&2; exit 1; }
	cd solr/launcher && mvn -q -B package
	touch $@

bench: install
	$(BIN)/python bench/normalise.py

clean:
	rm -rf var test-artifacts .pytest_cache
