# 乡品通 Xiangpin — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
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

# Serve the seeded demo store at http://127.0.0.1:$(PORT)
demo: demo-data
	env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=shop.settings.dev $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/pages.py

clean:
	rm -rf $(VENV) db.sqlite3 var
