# Every target sets itself up: a fresh clone needs only python3 (and Java 17 + npm for DynamoDB Local).
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
ARGS   ?=

.PHONY: demo test unit bench clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

demo: $(STAMP)
	$(VENV)/bin/harness run ip-dedup --packets 5000 --ips 400 --slots 5 --seed 7 $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n 2 -q $(ARGS)

bench: $(STAMP)
	$(VENV)/bin/harness bench $(ARGS)

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
