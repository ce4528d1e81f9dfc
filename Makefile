# Two entry points (see README): `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/chain/flow.yml

.PHONY: setup tools demo test bench clean e2e-setup e2e

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
# verified and rated by it) and strace (the system-call filter test). Debian packages.
TOOLS := systemd-analyze:systemd strace:strace
tools:
	@missing=""; for pair in $(TOOLS); do command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: setup
	BIN=$(BIN) examples/demo.sh $(EXAMPLE)

test: setup tools
	$(BIN)/python -m pytest -q

# End-to-end tests under podman (docs/e2e.md). e2e-setup installs podman's Debian packages and
# builds the base images when missing or out of date; both skip, saying why, without root or apt.
e2e-setup: setup
	$(BIN)/python -m tests.e2e.prepare

e2e: e2e-setup
	FLOWC_E2E=1 $(BIN)/python -m pytest -q -rs tests/e2e

# Benchmarks (BENCHMARKS.md): Jina 3.34 is compared when JINA_REF's interpreter exists
# (set it up as ../shared/jina-reference/README.md says).
JINA_REF ?= ../.jina-ref
bench: setup
	$(BIN)/python benchmarks/bench_compiler.py --jina $(JINA_REF)/bin/python
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_runtime.py --jina $(JINA_REF)/bin/python

clean:
	rm -rf $(VENV) build *.egg-info
