"""The helpers as a package: declared dependencies, type hints, a real (non-editable) install."""

import ast
import importlib
import inspect
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers import config

PACKAGE = config.REPO_ROOT / "helpers"
PYPROJECT = tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: Import names whose distribution is called differently on PyPI.
DISTRIBUTION = {"charset_normalizer": "charset-normalizer", "sklearn": "scikit-learn",
                "tensorflow": "tensorflow-cpu", "yaml": "pyyaml"}


def third_party_imports():
    """Top-level modules imported anywhere in helpers/, minus the standard library and helpers."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return sorted(found - set(sys.stdlib_module_names) - {"helpers", "__future__"})


def declared():
    names = list(PYPROJECT["project"]["dependencies"])
    for extra in PYPROJECT["project"].get("optional-dependencies", {}).values():
        names += extra
    return {name.split(">")[0].split("=")[0].split("<")[0].strip().lower() for name in names}


@pytest.mark.parametrize("module", third_party_imports())
def test_every_imported_package_is_declared(module):
    assert DISTRIBUTION.get(module, module).lower() in declared()


def public_functions():
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(config.REPO_ROOT).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if attribute.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == module.__name__:
                yield f"{name}.{attribute}", value


@pytest.mark.parametrize(("name", "function"), list(public_functions()))
def test_public_functions_have_type_hints(name, function):
    signature = inspect.signature(function)
    missing = [p.name for p in signature.parameters.values()
               if p.annotation is inspect.Parameter.empty and p.kind not in (p.VAR_KEYWORD,)]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, f"{name}: no return hint"


def test_non_editable_install_loads_the_shipped_record(tmp_path):
    """`pip install .` (a wheel, not a link to the repository) carries the data inside."""
    target = tmp_path / "site"
    # build from a copy of what the package is made of: a leftover *.egg-info of the editable
    # install would otherwise tell setuptools about files pyproject's package list leaves out
    source_tree = tmp_path / "source"
    for name in ("helpers", "data"):
        shutil.copytree(config.REPO_ROOT / name, source_tree / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(config.REPO_ROOT / name, source_tree / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
         "--disable-pip-version-check", "--target", str(target), str(source_tree)],
        check=True, capture_output=True,
    )
    script = (
        "import helpers, helpers.config as p; from helpers import data; "
        "r = data.load_catchment(); "
        "print(helpers.__file__); print(p.REPO_ROOT); print(len(r)); print(p.MODELS_DIR)"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True, encoding="utf-8", check=True)
    module_file, repo_root, rows, models = run.stdout.split("\n")[:4]
    assert Path(module_file).is_relative_to(target)  # the installed copy, not the repository
    assert repo_root == "None"
    assert int(rows) == 746
    assert Path(models) == tmp_path / "models"
    # every module of the repository's package is in the installed copy (a subpackage missing
    # from pyproject's package list would install without it, and fail only on import)
    package = config.REPO_ROOT / "helpers"
    source = {p.relative_to(package) for p in package.rglob("*.py")}
    installed = {p.relative_to(target / "helpers") for p in (target / "helpers").rglob("*.py")}
    assert source <= installed, sorted(map(str, source - installed))
