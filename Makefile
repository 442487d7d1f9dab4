# The course's commands. `make course` runs the course, `make test` runs the test suite;
# both set up the virtual environment (.venv, Python 3.12) first. `make compat` checks the
# README's recipe and explain.deep_shap on other TensorFlow/Keras/shap versions (environments in
# .compat/, one per combination) and writes docs/compatibility.md.

PY := .venv/bin/python
# Quieter TensorFlow start-up in every notebook kernel and test (C++ info/warning lines).
export TF_CPP_MIN_LOG_LEVEL := 3
# Plain TensorFlow kernels instead of oneDNN ones: fewer CPU-dependent round-off differences
# between machines, and no oneDNN start-up notice in every notebook.
export TF_ENABLE_ONEDNN_OPTS := 0

.PHONY: env course test unit lint compat notebooks lab data benchmark refresh lock clean

env:
	@bash scripts/ensure-env.sh

## Execute every notebook in order and write rendered HTML (with figures) to build/html/.
course: env
	$(PY) scripts/build_course.py

## The whole test suite: unit tests of helpers/, then every notebook re-executed by nbval.
test: env
	$(PY) -m pytest tests notebooks --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600 -p no:cacheprovider

## Lint the helpers, tests, scripts, benchmarks and notebooks with ruff (rules: pyproject.toml).
lint: env
	.venv/bin/ruff check .

## The recipe and explain.deep_shap on 7 TensorFlow/Keras/shap stacks (Keras 2 included): creates or
## reuses one environment per stack in .compat/ (about 12 minutes and 10 GB the first time, 4 after),
## writes docs/compatibility.md, fails if a route that should work does not.
compat: env
	$(PY) scripts/compat.py

## Unit tests only (fast feedback while editing helpers/).
unit: env
	$(PY) -m pytest tests -p no:cacheprovider

## Open the course in JupyterLab.
lab: env
	.venv/bin/jupyter lab notebooks/

## Regenerate data/teaching_catchment.csv from the seeded generator.
data: env
	$(PY) -m helpers.catchment

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
refresh: env
	$(PY) scripts/build_course.py --in-place

## Rewrite constraints.txt from the current environment after changing requirements.txt.
lock: env
	{ sed -n '1,4p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.tmp
	mv constraints.tmp constraints.txt

clean:
	rm -rf build models .pytest_cache
