"""The two install routes (pip: requirements.txt, conda: environment.yml) name the same versions,
the environment the tests run in is the pinned one, and the maintainers' tools
(requirements-dev.txt) stay out of the learners' environment while pinned and locked."""

import re
from importlib import metadata

import pytest
import yaml
from packaging.requirements import Requirement

from helpers import config


def _normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lines, this_platform_only=False):
    """Package -> version of 'name==version' lines (an environment marker may follow)."""
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            requirement = Requirement(line)
            if this_platform_only and requirement.marker and not requirement.marker.evaluate():
                continue
            pins[_normalise(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return pins


#: What only CI and maintainers use: lint, the platform check, the site's browser check.
MAINTAINERS_TOOLS = {"ruff", "uv", "playwright"}


def pip_pins(this_platform_only=False, name="requirements.txt"):
    """Package -> version from requirements.txt (or ``name``), optionally only those this
    platform installs."""
    text = (config.REPO_ROOT / name).read_text(encoding="utf-8")
    return _pins(text.splitlines(), this_platform_only)


def conda_pins():
    """Package -> version from environment.yml, conda and pip sections together."""
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    pins = {}
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            pins.update(_pins(entry["pip"]))
        elif "=" in entry:
            name, version = entry.split("=", 1)
            pins[_normalise(name)] = version.strip()
    pins.pop("python", None)
    return pins


def test_pip_and_conda_routes_pin_the_same_versions():
    assert pip_pins() == conda_pins()


def test_conda_route_uses_python_312():
    env = yaml.safe_load((config.REPO_ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python=3.12" in env["dependencies"]


def test_running_environment_matches_the_pins():
    wanted = pip_pins(this_platform_only=True)
    installed = {name: metadata.version(name) for name in wanted}
    assert installed == wanted


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_pin_says_what_it_protects(name):
    """Each pin, or the block of adjacent pins it belongs to, follows a comment line."""
    text = (config.REPO_ROOT / name).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    for number, line in enumerate(lines):
        if "==" in line and not line.startswith("#"):
            above = number - 1
            while above >= 0 and "==" in lines[above] and not lines[above].startswith("#"):
                above -= 1
            assert above >= 0 and lines[above].startswith("#"), f"no comment above {line!r}"


def test_the_learners_environment_holds_no_maintainers_tools():
    """playwright (165 MB), uv and ruff are for CI and maintainers: neither route a learner
    takes (requirements.txt, environment.yml) installs them; requirements-dev.txt pins them."""
    assert not MAINTAINERS_TOOLS & set(pip_pins())
    assert not MAINTAINERS_TOOLS & set(conda_pins())
    assert set(pip_pins(name="requirements-dev.txt")) == MAINTAINERS_TOOLS


def test_the_maintainers_tools_are_locked_at_their_pins():
    """constraints.txt locks the environment with the tools (``python course.py lock`` runs in
    it), so every pin of both files is there at the same version."""
    locked = _pins((config.REPO_ROOT / "constraints.txt").read_text(encoding="utf-8")
                   .splitlines())
    for name in ("requirements.txt", "requirements-dev.txt"):
        for package, version in pip_pins(this_platform_only=True, name=name).items():
            assert locked.get(package) == version, (name, package)


def test_data_packages_are_installed_at_their_pins_and_locked():
    """requirements-data.txt (installed with --no-deps) is installed as pinned and locked."""
    lines = (config.REPO_ROOT / "requirements-data.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    assert {name: metadata.version(name) for name in pins} == pins
    locked = (config.REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    assert all(f"{name}=={version}" in locked for name, version in pins.items())
