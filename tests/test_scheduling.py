"""How the test command shares the suite between its two processes (the root conftest.py)."""

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))


def load_root_conftest():
    """The repository's root conftest.py as a module (tests/ has a conftest.py of its own)."""
    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_of(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


@pytest.mark.parametrize(("nodeid", "scope"), [
    ("notebooks/02_lstm_model.ipynb::Cell 0", "notebooks 02 to 04c"),
    ("notebooks/04c_correlated_features.ipynb::Cell 31", "notebooks 02 to 04c"),
    ("notebooks/01_data_preparation.ipynb::Cell 3", "01_data_preparation.ipynb"),
    ("notebooks/06_many_catchments.ipynb::Cell 3", "06_many_catchments.ipynb"),
    ("tests/test_zoo.py::test_both_routes[lstm]", "test_zoo.py"),
    ("tests/test_site.py::test_x[a::b]", "test_site.py"),
])
def test_each_test_runs_in_its_files_scope_or_the_chains(nodeid, scope):
    assert load_root_conftest().scope_of(nodeid) == scope


def test_every_notebook_that_reads_another_notebooks_files_is_in_the_chain():
    """A notebook that loads the course model (saved by 02) or the test period's explanation
    (cached by 03b) runs in the chain's process, after the notebooks before it in file order."""
    chained = load_root_conftest().CHAINED_NOTEBOOKS
    readers = [path.name.split("_")[0] for path in NOTEBOOKS
               if re.search(r"load_or_train\(\)|explain_test_period\(|model_path\(",
                            code_of(path))]
    assert readers, "no notebook loads the course model: the pattern above is out of date"
    assert set(readers) <= set(chained), f"not in conftest.CHAINED_NOTEBOOKS: {readers}"
    numbers = [path.name.split("_")[0] for path in NOTEBOOKS]
    start = numbers.index(chained[0])
    assert tuple(numbers[start:start + len(chained)]) == chained  # consecutive, in file order
    assert "training.train_from_record(" in code_of(NOTEBOOKS[start])  # 02 trains what they load


def test_the_sanitiser_is_found_when_pytest_runs_from_another_folder(tmp_path, monkeypatch):
    """pyproject.toml names tests/nbval_sanitize.cfg from the course's folder; the root
    conftest.py makes it absolute when the working folder has no such file (and only then)."""
    from types import SimpleNamespace

    conftest = load_root_conftest()
    for cwd, expected in ((tmp_path, str(ROOT / "tests" / "nbval_sanitize.cfg")),
                          (ROOT, "tests/nbval_sanitize.cfg")):
        monkeypatch.chdir(cwd)
        config = SimpleNamespace(rootpath=ROOT, option=SimpleNamespace(
            nbval_sanitize_with="tests/nbval_sanitize.cfg"))
        conftest.pytest_configure(config)
        assert config.option.nbval_sanitize_with == expected
    conftest.pytest_configure(SimpleNamespace(rootpath=ROOT, option=SimpleNamespace()))  # no nbval
