# Two entry points (see README): `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/chain/flow.yml

.PHONY: setup tools demo test bench clean e2e-setup e2e jina-ref install

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# checkov (tests/targets/test_k8s_checkov.py) pins networkx<2.7 and packaging<24, which
	# flowc and pytest outgrow: it gets a virtualenv of its own, $(VENV)/tools/checkov
	$(PYTHON) -m venv $(VENV)/tools/checkov
	$(VENV)/tools/checkov/bin/pip install --quiet 'checkov>=3.2,<4'
	touch $@

# Tools the test suite calls that are not Python packages: systemd-analyze (systemd units are
# verified and rated by it), strace (the system-call filter test), node and npm (the editor
# tests drive yaml-language-server, installed from tests/editor/package-lock.json). Debian packages.
TOOLS := systemd-analyze:systemd strace:strace node:nodejs npm:npm ip:iproute2 chromium:chromium \
         prometheus:prometheus
# (ip: the loopback of the Jina tests' network namespace, tests/jina/netns_run.sh; chromium: the
# HTTP gateway's /docs page rendered headless, tests/runtime/test_http_docs_page.py)
tools: tests/editor/node_modules/.installed
	@missing=""; for pair in $(TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

tests/editor/node_modules/.installed: tests/editor/package-lock.json
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --prefix tests/editor --no-audit --no-fund --loglevel=error
	touch $@

# `flowc` and `flowc-runtime` on your PATH: links to this checkout's virtualenv.
BINDIR ?= $(HOME)/.local/bin
install: setup
	mkdir -p $(BINDIR)
	ln -sf $(abspath $(BIN)/flowc) $(BINDIR)/flowc
	ln -sf $(abspath $(BIN)/flowc-runtime) $(BINDIR)/flowc-runtime
	@case ":$$PATH:" in *":$(BINDIR):"*) ;; *) echo "add $(BINDIR) to your PATH";; esac

demo: setup
	BIN=$(BIN) examples/demo.sh $(EXAMPLE)

# Jina 3.34, the reference of the differential tests (tests/jina_ref.py), in a virtualenv of its
# own from the pinned list tests/jina/requirements.txt (pydantic 1 and protobuf 5: never in
# flowc's). Takes a few minutes once; made again only when the list changes.
JINA_REF_VENV := $(VENV)/jina-ref
jina-ref: $(JINA_REF_VENV)/.installed

$(JINA_REF_VENV)/.installed: tests/jina/requirements.txt
	$(PYTHON) -m venv $(JINA_REF_VENV)
	$(JINA_REF_VENV)/bin/pip install --quiet --upgrade pip
	$(JINA_REF_VENV)/bin/pip install --quiet -r tests/jina/requirements.txt
	touch $@

# The Jina wire tests start Jina's servers: they run in a loopback-only network namespace.
test: setup tools jina-ref
	FLOWC_JINA_REF=$(abspath $(JINA_REF_VENV)) $(BIN)/python -m pytest -q --ignore=tests/jina
	FLOWC_JINA_REF=$(abspath $(JINA_REF_VENV)) sh tests/jina/netns_run.sh \
	    $(BIN)/python -m pytest -q tests/jina

# End-to-end tests under podman (docs/e2e.md). e2e-setup installs podman's Debian packages and
# builds the base images when missing or out of date; both skip, saying why, without root or apt.
e2e-setup: setup
	$(BIN)/python -m tests.e2e.prepare

e2e: e2e-setup
	FLOWC_E2E=1 $(BIN)/python -m pytest -q -rs tests/e2e

# Benchmarks (BENCHMARKS.md): Jina 3.34 is compared when JINA_REF's interpreter exists
# (`make jina-ref` makes it).
JINA_REF ?= $(JINA_REF_VENV)
bench: setup
	$(BIN)/python benchmarks/bench_compiler.py --jina $(JINA_REF)/bin/python
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_runtime.py --jina $(JINA_REF)/bin/python
	$(BIN)/python benchmarks/bench_batching.py --jina $(JINA_REF)/bin/python

clean:
	rm -rf $(VENV) build *.egg-info
