# Two entry points (see README): `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/chain/flow.yml

.PHONY: setup tools demo test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
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

# Benchmarks (BENCHMARKS.md): Jina 3.34 is compared when JINA_REF's interpreter exists
# (set it up as ../shared/jina-reference/README.md says).
JINA_REF ?= /work/.jina-ref
bench: setup
	$(BIN)/python benchmarks/bench_compiler.py --jina $(JINA_REF)/bin/python
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_runtime.py --jina $(JINA_REF)/bin/python

clean:
	rm -rf $(VENV) build *.egg-info
