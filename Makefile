# Shortcuts for the course's commands, which live in course.py and work without make too
# (`python course.py run`, `python course.py test`: the README's quick start, on any system).
# `make course` runs the course, `make test` runs the test suite; every target sets up the
# virtual environment (.venv, Python 3.12 or 3.13) first. `make compat` checks the README's
# recipe and explain.deep_shap on other TensorFlow/Keras/shap stacks (environments in .compat/,
# one per combination) and writes docs/compatibility.md.

# The Python that runs course.py (any 3.8 or later; course.py finds 3.12 or 3.13 for .venv).
# `PYTHON=/path/to/python3.12 make course` names the interpreter .venv is made with.
BOOT ?= python3
COURSE := $(BOOT) course.py $(if $(PYTHON),--python $(PYTHON))
PY := .venv/bin/python
# Quieter TensorFlow start-up, plain (not oneDNN) kernels: course.py sets the same for its
# commands; these serve the targets below that call .venv's Python directly (benchmark).
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0

.PHONY: env course test unit lint compat notebooks lab data benchmark refresh lock clean \
	colab-test platforms site

env:
	@$(COURSE) env

## Execute every notebook in order and write rendered HTML (with figures) to build/html/.
course:
	$(COURSE) run

## The whole test suite: unit tests of helpers/, then every notebook re-executed by nbval (its
## options are in pyproject.toml, so `pytest` in .venv runs the same).
test:
	$(COURSE) test

## Lint the helpers, tests, scripts, benchmarks and notebooks with ruff (rules: pyproject.toml).
lint:
	$(COURSE) lint

## The recipe and explain.deep_shap on 9 TensorFlow/Keras/shap stacks (Python 3.9 + TensorFlow 2.9 +
## shap 0.40 to today; Keras 2 included): creates or reuses one environment per stack in .compat/
## (about 14 GB), writes docs/compatibility.md, fails if a route that should work does not.
compat:
	$(COURSE) compat

## Build the site from the notebooks' saved outputs (checked current; nothing executed) and load
## every page in headless Chromium (Debian's chromium package).
site:
	$(COURSE) site
	$(COURSE) check-site

## Unit tests only (fast feedback while editing helpers/).
unit:
	$(COURSE) unit

## Every notebook under nbval on the hosted (Colab) stack of requirements-colab.txt (.venv-colab).
colab-test:
	$(COURSE) colab-test

## The pinned set resolves, binary wheels only, on Windows, macOS (Apple silicon) and Linux.
platforms:
	$(COURSE) platforms

## Open the course in JupyterLab.
lab:
	$(COURSE) lab

## Regenerate data/teaching_catchment.csv from the seeded generator.
data:
	$(COURSE) data

## Time and additivity of every SHAP route on the course model, then deep_shap's batched engine
## at windows 12 and 365 as ratios: warm call / gradient floor, first call / warm (benchmarks, not tests).
## Then reading a 30-year daily file, and catchments explained per minute, serially and on Dask
## with 1 and 2 workers (notebook 06).
benchmark: env
	$(PY) benchmarks/shap_routes.py
	$(PY) benchmarks/deepshap_engine.py
	$(PY) benchmarks/reading.py
	$(PY) benchmarks/many_catchments.py

## Re-execute the notebooks in place so their saved outputs are current (maintainers).
refresh:
	$(COURSE) refresh

## Rewrite constraints.txt from the current environment after changing requirements.txt.
lock:
	$(COURSE) lock

clean:
	rm -rf build models .pytest_cache
