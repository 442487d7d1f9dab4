"""How the test suite is shared between two worker processes (pytest-xdist).

The suite (``pytest``, or ``python course.py test``) runs the unit tests and every notebook in
two processes (``-n 2`` in pyproject.toml's options). pytest-xdist hands each process whole
*scopes*; this file says what a scope is:

- a notebook's cells share one kernel, so a notebook runs whole, in order, in one process;
- notebooks 03 to 04c load the model notebook 02 saves (04 to 04c also the SHAP values 03b
  saves): these six notebooks are one scope, run in order, so that no notebook trains or explains
  again what another is computing at the same time;
- a unit-test file is one scope, so that its module fixtures are built once.

It sits at the repository's root so that it also applies to ``pytest notebooks`` (the hosted
stack's run). With ``-n 0`` the scheduling here is not used.

It also finds nbval's sanitiser (pyproject.toml names it from the course's folder) when pytest
runs from another folder, such as ``notebooks/``.
"""

from pathlib import Path, PurePosixPath

import pytest

#: Notebooks that read what an earlier one in this list saved: they run as one scope, in order.
CHAINED_NOTEBOOKS = ("02", "03", "03b", "04", "04b", "04c")


def scope_of(nodeid: str) -> str:
    """The scope of a test: its file's name, or one name for the chained notebooks.

    >>> scope_of("notebooks/03b_checking_the_fix.ipynb::Cell 4")
    'notebooks 02 to 04c'
    >>> scope_of("tests/test_zoo.py::test_both_routes[lstm]")
    'test_zoo.py'
    """
    name = PurePosixPath(nodeid.split("::", 1)[0]).name
    if name.endswith(".ipynb") and name.split("_")[0] in CHAINED_NOTEBOOKS:
        return "notebooks 02 to 04c"
    return name


def pytest_configure(config: pytest.Config) -> None:
    """Name the sanitiser from the course's folder when the working folder lacks it."""
    sanitiser = getattr(config.option, "nbval_sanitize_with", None)  # None: no nbval
    if sanitiser and not Path(sanitiser).exists() and (config.rootpath / sanitiser).exists():
        config.option.nbval_sanitize_with = str(config.rootpath / sanitiser)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: called only when it is installed
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """Distribute whole scopes (see :func:`scope_of`), the largest first."""
    from xdist.scheduler import LoadScopeScheduling

    class ScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    return ScopeScheduling(config, log)
