# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo install system bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

system:  # chromium and fonts-noto-cjk, only when missing (the dashboard test and the charts need them)
	@bash .ci/system-packages

# the suite on two pytest-xdist workers, each test file on one worker (its module fixtures, the Prefect harness and
# demo portals, start once): 9 m 09 s for 3,042 tests on a quiet 2-core machine (2026-12-07); three workers took
# 8 m 12 s, too little to be worth the timing tests' contention. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2

test: $(STAMP) system
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile

demo: $(STAMP)
	$(PY) -m govreports demo

# the bench extra (Scrapy) for crawl_speed.py's side-by-side fetch rate, installed on the first `make bench` only
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) bench/accuracy.py
	$(PY) bench/parse_speed.py
	$(PY) bench/load_speed.py
	$(PY) bench/crawl_speed.py
	$(PY) bench/reparse_speed.py
	$(PY) bench/nightly.py
	$(PY) bench/chaos.py

clean:
	rm -rf $(VENV) .pytest_cache
