# One entry point. CI runs `make test` (through .ci/run).
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/vaxelstat

.PHONY: install demo serve test test-sqlite test-sqlite-slow test-postgres bench fuzz lint lock messages screenshots vectors clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock requirements-dev.lock
	@PY=$$(scripts/find-python) || exit 1; \
	  test -x $(BIN)/python || "$$PY" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

demo: install
	$(BIN)/vaxelstat demo

serve: install
	$(BIN)/vaxelstat serve

# The whole suite runs twice: on the embedded default (SQLite app database) and on PostgreSQL.
test: test-sqlite test-sqlite-slow test-postgres

# Compiled modules are kept (__pycache__, ignored by git) even where PYTHONDONTWRITEBYTECODE
# is set: every test process, and every command a test starts, would else compile the
# product and rewrite the tests' asserts again, seconds of each run.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n 3

# The quick loop while working: every test not marked slow (those that start processes or a
# browser, read damaged files by the hundred or import weeks of simulated traffic), on SQLite.
test-sqlite: install
	env -u DATABASE_URL $(PYTEST) -m "not slow" $(PYTEST_ARGS)

# The tests marked slow, on SQLite (`make test` runs them; test-sqlite leaves them out).
test-sqlite-slow: install
	env -u DATABASE_URL $(PYTEST) -m slow $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$(PG_URL) $(PYTEST) $(PYTEST_ARGS)

# Every format's reader on 2,000 damaged files (the suite reads 24 of them each run), and 240
# damaged files imported, then imported fixed (the suite: 6).
fuzz: install
	env -u DATABASE_URL VAXELSTAT_FUZZ_FILES=2000 VAXELSTAT_FIX_FILES=240 $(PYTEST) -n 0 -s tests/test_fuzz.py

bench: install
	$(BIN)/python -m vaxelstat.bench
	$(BIN)/python -m vaxelstat.bench_reports --engine duckdb
	$(BIN)/python -m vaxelstat.bench_reports --engine chdb
	$(BIN)/python -m vaxelstat.bench_load

lint: install
	$(BIN)/ruff format --check vaxelstat tests
	$(BIN)/ruff check vaxelstat tests
	$(BIN)/mypy vaxelstat

# The README's pictures, taken from the demo in chromium.
screenshots: install
	$(BIN)/python -m vaxelstat.screenshots --out docs/screenshots

# The worked examples page of the test vectors (docs/test-vectors/README.md).
vectors: install
	DJANGO_SETTINGS_MODULE=vaxelstat.settings $(BIN)/python -m vaxelstat.ingest.vectors

# Gather the UI's Swedish texts into the English catalogue, and compile it (needs gettext).
messages: install
	cd vaxelstat && VAXELSTAT_DATA=../var DJANGO_SETTINGS_MODULE=vaxelstat.settings ../$(BIN)/python -m django makemessages -l en --no-obsolete
	# A guessed ("fuzzy") English is no English: empty it, so the catalogue test asks for one.
	msgattrib --clear-fuzzy --empty -o vaxelstat/locale/en/LC_MESSAGES/django.po vaxelstat/locale/en/LC_MESSAGES/django.po
	cd vaxelstat && VAXELSTAT_DATA=../var DJANGO_SETTINGS_MODULE=vaxelstat.settings ../$(BIN)/python -m django compilemessages

lock:
	@PY=$$(scripts/find-python) || exit 1; rm -rf /tmp/vaxelstat-lock; \
	  "$$PY" -m venv /tmp/vaxelstat-lock && /tmp/vaxelstat-lock/bin/pip install --quiet . && \
	  /tmp/vaxelstat-lock/bin/pip freeze --exclude vaxelstat --exclude pip > requirements.lock.new && \
	  echo "requirements.lock.new written: review and move into place"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
