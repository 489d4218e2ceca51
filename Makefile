# 乡品通 Xiangpin — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The demo's JD pavilion (catalog_sync's JD simulator; the channel jd-pavilion points at it).
JD_SIM_PORT ?= 8801
# Tests run on PostgreSQL (the default local server); override DATABASE_URL to change.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/xiangpin

.PHONY: install demo demo-data test bench clean

$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Migrate the embedded SQLite database and seed the Guangdong demo data.
demo-data: install
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=shop.settings.dev $(PY) manage.py migrate --noinput
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=shop.settings.dev $(PY) manage.py seed_demo

# Serve the seeded demo store at http://127.0.0.1:$(PORT), with the JD pavilion simulator at
# http://127.0.0.1:$(JD_SIM_PORT)/ in the background (its wares and orders kept in var/demo/), stopped with the store.
demo: demo-data
	@mkdir -p var/demo; \
	$(PY) -m catalog_sync.simulators.jd --port $(JD_SIM_PORT) --state var/demo/jd-pavilion.json & sim=$$!; \
	trap 'kill $$sim 2>/dev/null; wait $$sim 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=shop.settings.dev \
		CATALOG_SYNC_JD_PAVILION_BASE_URL=http://127.0.0.1:$(JD_SIM_PORT) CATALOG_SYNC_JD_PAVILION_ORDER_LAG=0 \
		CATALOG_SYNC_PUBLIC_URL=http://127.0.0.1:$(PORT) \
		$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/pages.py

clean:
	rm -rf $(VENV) db.sqlite3 var
