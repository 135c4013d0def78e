# Two commands: `make run` starts the dashboard on http://localhost:8501, `make test` runs every test.
# Needs only Python 3.11 with venv (Debian: apt-get install python3-venv); the rest is installed into .venv.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-installed

.PHONY: run test

run: $(STAMP)
	@$(PY) -c "import sys; from data.store import has_data; sys.exit(not has_data())" || $(PY) cli.py demo
	$(PY) -m streamlit run app.py --server.port 8501 --server.headless true

test: $(STAMP)
	$(PY) -m pytest

$(PY):
	$(PYTHON) -m venv $(VENV)

# reinstall only when requirements.txt is newer than the last install
$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@
