# gapcheck: `make demo` and `make test` set themselves up on a fresh machine (a .venv in this folder).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev
CORPUS ?= ../shared/corpus

.PHONY: demo test rules-test accuracy bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: check the bundled example policies and write their reports to out/ (the audit report of the gappy
## example as out/report.pdf and out/report.html)
demo: $(STAMP)
	@mkdir -p out
	@echo "== examples/thorough-policy.md"
	@$(BIN)/gapcheck --no-config examples/thorough-policy.md -o out/thorough-report.json -o out/thorough-report.txt; \
	  code=$$?; [ $$code -le 1 ] || exit $$code
	@echo
	@echo "== examples/gappy-policy.md (expected to fail the gate: exit 1)"
	@$(BIN)/gapcheck --no-config examples/gappy-policy.md -o out/gappy-report.json -o out/gappy-report.txt \
	  -o out/report.pdf -o out/report.html -o out/gappy.sarif -o out/gappy-junit.xml -o out/gappy-summary.md; \
	  code=$$?; [ $$code -le 1 ] || exit $$code
	@echo
	@echo "Reports written to out/: $$(cd out && ls | tr '\n' ' ')"

## test: the full test suite (unit, rule fixtures, CLI end to end, golden files, accuracy floor)
test: $(STAMP)
	$(BIN)/python -m pytest

## rules-test: the rule fixtures only, as a true/false positive/negative table
rules-test: $(STAMP)
	$(BIN)/gapcheck rules test

## accuracy: re-measure on ../shared/corpus and rewrite docs/accuracy.md
accuracy: $(STAMP)
	$(BIN)/python bench/accuracy.py --corpus $(CORPUS) --write docs/accuracy.md

## bench: time the matcher and the CLI, and the PDF report of a 20,000-word policy
bench: $(STAMP)
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/report_bench.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache
