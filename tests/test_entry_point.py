"""course.py, the cross-platform entry point: bad input gets one clear message, the set-up is
idempotent and never marks a half-finished install ready, and it works from another folder and
from a path with spaces (and a backslash, as Windows paths have).

No package is installed here: the install steps are replaced by recorders, and the end-to-end
set-up is exercised by CI, which runs every command through course.py.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
#: What a copy of the course needs for course.py's set-up check and help.
COPIED = ["course.py", "requirements.txt", "requirements-data.txt", "requirements-colab.txt",
          "requirements-dev.txt", "constraints.txt", "pyproject.toml"]


def load_course(root=ROOT):
    """course.py as a module (it is a script at the repository's root, not a package)."""
    spec = importlib.util.spec_from_file_location(f"course_{abs(hash(root))}", root / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def copy(tmp_path):
    """The course's set-up files in a folder whose path has spaces and a backslash."""
    folder = tmp_path / "my courses" / "lstm shap\\copy"
    folder.mkdir(parents=True)
    for name in COPIED:
        shutil.copy(ROOT / name, folder / name)
    return folder


def run(args, cwd):
    """course.py as a learner runs it, from ``cwd``; (exit code, stdout + stderr)."""
    done = subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8")
    return done.returncode, done.stdout + done.stderr


# From another folder, in a path with spaces


def test_help_works_from_another_folder_in_a_path_with_spaces(copy, tmp_path):
    elsewhere = tmp_path / "somewhere else"
    elsewhere.mkdir()
    code, out = run([str(copy / "course.py"), "--help"], cwd=elsewhere)
    assert code == 0, out
    assert "python course.py" in out and "colab-test" in out


def test_check_says_what_to_do_when_nothing_is_set_up(copy, tmp_path):
    code, out = run([str(copy / "course.py"), "env", "--check"], cwd=tmp_path)
    assert code == 1
    assert "not set up yet; run: python course.py env" in out
    assert not (copy / ".venv").exists(), "--check must install nothing"


def test_check_sees_a_ready_environment_and_a_stale_one(copy, tmp_path):
    course = load_course(copy)
    version = course.RUNNING if course.RUNNING in course.SUPPORTED else course.DEFAULT_VERSION
    venv = course.venv_dir(version)
    course.venv_python(venv).parent.mkdir(parents=True)
    course.venv_python(venv).touch()
    (venv / course.STAMP).write_text(course.fingerprint("pinned", version), encoding="utf-8")
    code, out = run([str(copy / "course.py"), "env", "--check", "--python", version], tmp_path)
    assert code == 0 and "is ready" in out, out

    with open(copy / "requirements.txt", "a", encoding="utf-8") as pins:
        pins.write("# a changed pin file\n")
    code, out = run([str(copy / "course.py"), "env", "--check", "--python", version], tmp_path)
    assert code == 1 and "is out of date" in out, out


def test_check_takes_an_environment_with_the_tools_as_ready_for_learners(copy, tmp_path):
    course = load_course(copy)
    version = course.RUNNING if course.RUNNING in course.SUPPORTED else course.DEFAULT_VERSION
    venv = course.venv_dir(version)
    course.venv_python(venv).parent.mkdir(parents=True)
    course.venv_python(venv).touch()
    check = [str(copy / "course.py"), "env", "--check", "--python", version]
    (venv / course.STAMP).write_text(course.fingerprint("dev", version), encoding="utf-8")
    for extra in ([], ["--dev"]):
        code, out = run(check + extra, tmp_path)
        assert code == 0 and "is ready" in out, (extra, out)
    (venv / course.STAMP).write_text(course.fingerprint("pinned", version), encoding="utf-8")
    code, out = run(check + ["--dev"], tmp_path)
    assert code == 1 and "is out of date" in out and out.rstrip().endswith("--dev"), out


def test_an_incomplete_copy_is_named(copy, tmp_path):
    (copy / "constraints.txt").unlink()
    code, out = run([str(copy / "course.py"), "env", "--check"], cwd=tmp_path)
    assert code == 1
    assert "not a complete copy of the course (missing: constraints.txt)" in out


def test_paths_given_from_another_folder_are_taken_from_there(tmp_path, monkeypatch):
    """Commands run from the repository's folder: a file named from elsewhere is made absolute,
    options and names that are not files here stay as typed."""
    course = load_course()
    (tmp_path / "my notebook.ipynb").touch()
    monkeypatch.chdir(tmp_path)
    args = ["my notebook.ipynb", "-k", "-x", "tests/test_docs.py::test_github_anchors"]
    assert course.caller_paths(args) == [str(tmp_path / "my notebook.ipynb"), *args[1:]]


def test_the_builder_refuses_a_notebook_it_does_not_have(tmp_path):
    """``python course.py run nosuch.ipynb`` once rendered every notebook and executed none."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "site" / "build_course.py"),
                           str(tmp_path / "01_data_preparation.ipynb")], cwd=tmp_path,
                          capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 2
    assert "not a notebook of the course" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "build").exists()


# Bad input: one message that says what to do


@pytest.mark.parametrize(("python", "message"), [
    ("3.11", "supports Python 3.12 and 3.13 only; choose one of those"),
    ("3.14", "supports Python 3.12 and 3.13 only; choose one of those"),
    ("3", "supports Python 3.12 and 3.13 only; choose one of those"),
    ("3.12.1", "give the version without its last number, --python 3.12 (any Python 3.12"),
    ("no/such/python", "no such interpreter; give a version (3.12 or 3.13), the path of a Python "
                       "executable, or the name of one on the PATH"),
    ("no-such-python-3.12", "no such interpreter"),
])
def test_an_unsupported_python_is_refused(python, message, tmp_path):
    code, out = run([str(ROOT / "course.py"), "env", "--python", python], cwd=tmp_path)
    assert code == 1
    assert out.startswith("error: ") and message in out
    assert "Traceback" not in out


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for an old interpreter")
def test_an_interpreter_of_another_version_is_refused(tmp_path):
    old = tmp_path / "python3.11"
    old.write_text("#!/bin/sh\necho 3.11\n", encoding="utf-8")
    old.chmod(0o755)
    code, out = run([str(ROOT / "course.py"), "env", "--python", str(old)], cwd=tmp_path)
    assert code == 1
    assert f"--python {old} is Python 3.11; the course needs Python 3.12 or 3.13" in out


@pytest.mark.skipif(os.name == "nt", reason="shell scripts stand in for interpreters")
def test_an_interpreter_is_found_by_its_name_on_the_path(tmp_path, monkeypatch):
    """``--python python3.12`` means the python3.12 the shell would run, as a path would."""
    for name, version in (("python3.12", "3.12"), ("python3.11", "3.11")):
        fake = tmp_path / name
        fake.write_text(f"#!/bin/sh\necho {version}\n", encoding="utf-8")
        fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    course = load_course()
    assert course.choose_python("python3.12") == ("3.12", str(tmp_path / "python3.12"))
    with pytest.raises(course.SetupError, match="--python python3.11 is Python 3.11; the course "
                                                "needs Python 3.12 or 3.13"):
        course.choose_python("python3.11")


def test_no_suitable_python_says_how_to_get_one(monkeypatch, tmp_path):
    course = load_course()
    monkeypatch.setattr(course, "RUNNING", "3.11")
    monkeypatch.setattr(course, "REPO", tmp_path)  # no environment there
    monkeypatch.setattr(course, "fingerprint", lambda stack, version: "none")
    monkeypatch.setattr(course, "find_python", lambda version: None)
    with pytest.raises(course.SetupError, match="needs Python 3.12 or 3.13, and none was found"):
        course.choose_python(None)
    message = course.no_python_message(["3.12"])
    assert "py launcher" in message and "conda create" in message and "--python" in message


# Idempotent set-up; a half-finished install is never marked ready


@pytest.fixture
def recorded(copy, monkeypatch):
    """course.py loaded from the copy, with the install steps recorded instead of run."""
    course = load_course(copy)
    steps = []
    course.CALLS = []  # (step, arguments, extra environment, progress) of each call

    def call(args, step, extra_env=None, progress=False):
        steps.append(step)
        course.CALLS.append((step, [str(a) for a in args], extra_env or {}, progress))
        if step == course.FAIL_AT:
            raise course.SetupError(f"set-up step failed ({step})")

    def create(venv, version, base):
        steps.append("create")
        course.venv_python(venv).parent.mkdir(parents=True, exist_ok=True)
        course.venv_python(venv).touch()

    course.FAIL_AT = None
    monkeypatch.setattr(course, "call", call)
    monkeypatch.setattr(course, "create", create)
    monkeypatch.setattr(course, "version_of", lambda python: "3.12" if Path(python).exists()
                        else None)
    return course, steps


def test_a_failed_install_leaves_no_stamp_and_the_next_run_finishes_it(recorded):
    course, steps = recorded
    venv = course.venv_dir("3.12")
    course.FAIL_AT = "install the pins"
    with pytest.raises(course.SetupError, match=r"\.venv is NOT ready \(no stamp written\)"):
        course.ensure("3.12", base="python3.12")
    assert steps == ["create", "upgrade pip", "install the pins"]
    assert not (venv / course.STAMP).exists()

    course.FAIL_AT, steps[:] = None, []
    course.ensure("3.12", base="python3.12")
    assert steps == ["upgrade pip", "install the pins", "install the data packages",
                     "install the course's helpers (editable)"], "reinstalled, not recreated"
    assert course.is_ready(venv, course.fingerprint("pinned", "3.12"))

    steps[:] = []
    course.ensure("3.12", base="python3.12")
    assert steps == [], "a ready environment is reused as it is"


def test_a_changed_pin_file_makes_the_environment_stale(recorded):
    course, steps = recorded
    course.ensure("3.12", base="python3.12")
    before = course.fingerprint("pinned", "3.12")
    with open(course.REPO / "constraints.txt", "a", encoding="utf-8") as pins:
        pins.write("# changed\n")
    assert course.fingerprint("pinned", "3.12") != before
    assert not course.is_ready(course.venv_dir("3.12"), course.fingerprint("pinned", "3.12"))
    assert course.fingerprint("pinned", "3.13") != course.fingerprint("pinned", "3.12")


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for the py launcher")
def test_on_windows_the_py_launcher_is_asked_first(tmp_path, monkeypatch):
    """Windows' branch, run on Linux: ``py -3.12`` names the interpreter (Anaconda's or
    python.org's), and an environment's Python is ``Scripts\\python.exe``."""
    target = tmp_path / "Program Files" / "Python312" / "python.exe"
    launcher = tmp_path / "py"
    launcher.write_text(f'#!/bin/sh\n[ "$1" = "-3.12" ] && echo "{target}"\n', encoding="utf-8")
    launcher.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no pyenv"))
    course = load_course()
    # course.py's own view of the system only: pathlib must stay POSIX here
    monkeypatch.setattr(course, "os", SimpleNamespace(name="nt", environ=os.environ))
    assert course.candidates("3.12") == [str(target)]
    assert course.candidates("3.13") == [], "py -3.13 fails: no 3.13 installed"
    assert course.venv_python(Path("v")) == Path("v", "Scripts", "python.exe")


def test_each_python_and_stack_has_its_own_environment():
    course = load_course()
    assert course.venv_dir("3.12").name == ".venv"
    assert course.venv_dir("3.13").name == ".venv-py313"
    assert course.venv_dir("3.13", "colab").name == ".venv-colab"
    windows = "Scripts/python.exe" if os.name == "nt" else "bin/python"
    assert course.venv_python(Path("v")) == Path("v") / windows


# What the commands run


def pytest_options() -> dict:
    """pyproject.toml's [tool.pytest.ini_options]: the one definition of the test suite."""
    import tomllib

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["tool"]["pytest"]["ini_options"]


def test_the_suite_is_defined_in_pyproject_and_course_py_does_not_repeat_it():
    """The options the Makefile's test target once gave, now in pyproject.toml: a plain
    ``pytest`` runs what ``python course.py test`` runs. The test commands add a folder at most."""
    options = pytest_options()
    assert options["testpaths"] == ["tests", "notebooks"]
    addopts = options["addopts"]
    for option in ("--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=600",
                   "--nbval-sanitize-with=tests/nbval_sanitize.cfg", "--durations=15"):
        assert option in addopts, option
    pairs = list(zip(addopts, addopts[1:], strict=False))
    assert ("-p", "no:cacheprovider") in pairs and ("-n", "2") in pairs
    assert (ROOT / "tests" / "nbval_sanitize.cfg").is_file()

    course = load_course()
    commands = {name: args for name, (_, args) in course.COMMANDS.items()}
    assert commands["test"] == ["-m", "pytest"]
    assert commands["unit"] == ["-m", "pytest", "tests"]
    assert commands["colab-test"] == ["-m", "pytest", "notebooks"]
    source = (ROOT / "course.py").read_text(encoding="utf-8")
    assert not re.search(r"--nbval|no:cacheprovider|--durations|\"-n\"", source)
    for readme in ("README.md", "README.zh-CN.md"):  # the conda route runs plain pytest too
        assert "--nbval" not in (ROOT / readme).read_text(encoding="utf-8"), readme


def test_every_environment_that_runs_the_tests_has_the_worker_processes():
    """``-n 2`` in the options needs pytest-xdist wherever pytest runs: the pinned environments
    (requirements.txt), the conda route (environment.yml) and the hosted stack (TEST_TOOLS)."""
    course = load_course()
    assert {"pytest", "nbval", "pytest-xdist", "execnet"} <= set(course.read_pins(
        "requirements.txt"))
    assert {"pytest", "nbval", "pytest-xdist", "execnet"} <= set(course.TEST_TOOLS)
    assert re.search(r"^\s*- pytest-xdist=", (ROOT / "environment.yml").read_text(
        encoding="utf-8"), flags=re.M)


def test_a_plain_pytest_collects_the_unit_tests_and_every_notebook():
    """``pytest`` with pyproject.toml's options only (one test file stands for tests/, so that
    collecting imports little), from the course's folder and from notebooks/."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    notebooks = sorted(path.name for path in (ROOT / "notebooks").glob("*.ipynb"))
    caches = [ROOT / ".pytest_cache", ROOT / "notebooks" / ".pytest_cache"]
    cached_before = [cache.exists() for cache in caches]
    for cwd, extra in ((ROOT, ["-o", "python_files=test_scheduling.py"]),
                       (ROOT / "notebooks", [])):
        done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", *extra],
                              cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8")
        assert done.returncode == 0, done.stdout + done.stderr
        files = {line.split("::")[0].rsplit("/", 1)[-1] for line in done.stdout.splitlines()
                 if "::" in line}
        assert set(notebooks) <= files, (cwd, files)
        assert ("test_scheduling.py" in files) == (cwd == ROOT), (cwd, files)
    assert [cache.exists() for cache in caches] == cached_before, "-p no:cacheprovider"


def test_children_get_tensorflows_quiet_settings_and_tests_the_encoding_warning():
    course = load_course()
    env = course.child_env(course.TEST_ENV)
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3" and env["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert env["PYTHONWARNDEFAULTENCODING"] == "1"
    assert set(course.TEST_COMMANDS) == {"test", "unit", "colab-test"}


def test_ci_runs_the_readmes_two_commands_verbatim():
    """The quick start's two commands, in both editions, are steps of .ci/run as written."""
    steps = re.findall(r"^step (.+)$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"),
                       flags=re.M)
    for readme in ("README.md", "README.zh-CN.md"):
        text = (ROOT / readme).read_text(encoding="utf-8")
        quick_start = text.split("\n## ", 2)[1]
        commands = re.findall(r"^(python course\.py \w+)$", quick_start, flags=re.M)
        assert commands[:2] == ["python course.py run", "python course.py test"], readme
        assert set(commands[:2]) <= set(steps), f"{readme}: a command CI skips"
        assert "Linux or macOS" not in quick_start and "Linux 或 macOS" not in quick_start
    assert "python course.py lint" in steps


def test_pins_are_read_without_their_markers():
    course = load_course()
    pins = course.read_pins("requirements.txt")
    assert pins["tensorflow-cpu"] == pins["tensorflow"]
    assert pins["spotpy"] and pins["nbval"]


def test_frozen_constraints_hold_every_installed_distribution_but_the_course(tmp_path):
    course = load_course()
    with course.frozen_constraints(sys.executable) as path:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    assert not Path(path).exists(), "the temporary file is removed"
    from importlib import metadata
    assert f"numpy=={metadata.version('numpy')}" in lines
    assert not any(line.lower().startswith(course.OWN_PACKAGE) for line in lines)


# The hosted (Colab) stack


def test_the_helpers_accept_the_hosted_stack():
    """Every pin of requirements-colab.txt satisfies the helpers' declared ranges: installing
    the helpers on Colab changes none of the runtime's packages."""
    import tomllib

    course = load_course()
    hosted = course.read_pins("requirements-colab.txt")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for line in project["dependencies"]:
        requirement = Requirement(line)
        if requirement.name in hosted:
            assert requirement.specifier.contains(hosted[requirement.name]), line
    assert {"tensorflow", "keras", "shap"} <= set(hosted)
    assert "<3.14" in project["requires-python"] and ">=3.12" in project["requires-python"]


def test_every_notebook_installs_the_helpers_in_colab_with_the_readmes_cell():
    """The same Colab lines open each notebook's set-up cell, as both READMEs show them, and the
    title cell says how to run the notebook in Colab."""
    import json

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S)
                 if "google.colab" in b)
    assert 'setup = "/content/lstm-shap-course/course.py"' in block
    assert '[sys.executable, setup, "colab"]' in block
    course = load_course()
    hosted = course.read_pins("requirements-colab.txt")
    versions = [f"Python {course.COLAB_VERSION}"] + [
        f"{label} {'.'.join(hosted[name].split('.')[:2])}"
        for name, label in (("tensorflow", "TensorFlow"), ("keras", "Keras"), ("shap", "shap"))]
    install = re.search(r"The set-up cell's install took (\d+) s here", readme).group(1)
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        setup = next("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert setup.startswith(block + "\n"), path.name
        title = " ".join("".join(cells[0]["source"]).split())
        note = title[title.index("**In Colab:**"):]
        assert all(version in note for version in versions), (path.name, versions)
        assert f"({install} s here)" in note and "run times there were not measured" in note


def test_colab_cell_without_the_course_folder_says_what_to_do(monkeypatch):
    """In Colab without /content/lstm-shap-course, the set-up cell stops with one line that
    names the missing file and the README's section, not Python's "can't open file" and a
    CalledProcessError traceback."""
    import types

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S)
                 if "google.colab" in b)
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    ran = []
    monkeypatch.setattr("subprocess.run", lambda *args, **kwargs: ran.append(args))
    monkeypatch.setattr("os.path.exists", lambda path: False)
    with pytest.raises(SystemExit, match=r"lstm-shap-course/course\.py not found: .*README: Colab"):
        exec(block, {})
    assert ran == []  # nothing is run when the course is not there
    monkeypatch.setattr("os.path.exists", lambda path: True)
    exec(block, {})
    assert ran == [([sys.executable, "/content/lstm-shap-course/course.py", "colab"],)]


# The learners' environment and the maintainers' tools


def test_learners_commands_install_the_pins_without_the_maintainers_tools(recorded):
    course, steps = recorded
    course.ensure("3.12", base="python3.12")
    assert steps == ["create", "upgrade pip", "install the pins", "install the data packages",
                     "install the course's helpers (editable)"]
    installed = " ".join(" ".join(args) for _, args, _, _ in course.CALLS)
    assert "requirements.txt" in installed and "requirements-dev.txt" not in installed


def test_a_maintainers_command_adds_the_tools_and_learners_commands_keep_them(recorded):
    """lint on a learners' environment adds requirements-dev.txt only; afterwards the learners'
    commands reuse it (it holds their pins), and a fresh one gets both in one set-up."""
    course, steps = recorded
    course.ensure("3.12", base="python3.12")
    steps[:] = []
    course.ensure("3.12", base="python3.12", stack="dev")
    assert steps == ["install the maintainers' tools (requirements-dev.txt)"]
    venv = course.venv_dir("3.12", "dev")
    assert venv == course.venv_dir("3.12")
    assert course.is_ready(venv, course.fingerprint("dev", "3.12"))
    steps[:] = []
    course.ensure("3.12", base="python3.12")
    course.ensure("3.12", base="python3.12", stack="dev")
    assert steps == [], "both stacks reuse the environment with the tools"

    shutil.rmtree(venv)
    course.ensure("3.12", base="python3.12", stack="dev")
    assert steps == ["create", "upgrade pip", "install the pins", "install the data packages",
                     "install the course's helpers (editable)",
                     "install the maintainers' tools (requirements-dev.txt)"]
    with open(course.REPO / "requirements-dev.txt", "a", encoding="utf-8") as pins:
        pins.write("# a changed tool pin\n")
    assert not course.is_ready(venv, course.accepted("dev", "3.12")), "a changed tool pin"


@pytest.mark.parametrize(("argv", "stack"), [
    (["lint"], "dev"), (["platforms"], "dev"), (["check-site"], "dev"), (["lock"], "dev"),
    (["env", "--dev"], "dev"), (["env"], "pinned"), (["run"], "pinned"), (["test"], "pinned"),
    (["unit", "--python", "3.13"], "pinned"), (["lab"], "pinned"),
])
def test_only_the_maintainers_commands_set_up_their_tools(argv, stack, monkeypatch):
    course = load_course()
    chosen = []
    monkeypatch.setattr(course, "ensure",
                        lambda version, base, stack="pinned": chosen.append(stack) or Path("py"))
    monkeypatch.setattr(course, "run_in", lambda *args, **kwargs: 0)
    monkeypatch.setattr(course, "lock", lambda python: None)
    monkeypatch.setattr(course, "check_platforms", lambda python: 0)
    monkeypatch.setattr(course, "choose_python", lambda requested: ("3.12", None))
    assert course.main(argv) == 0
    assert chosen == [stack]


def test_ci_installs_the_maintainers_tools_before_the_commands_that_use_them():
    steps = re.findall(r"^step (.+)$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"),
                       flags=re.M)
    assert steps.index("python course.py env --dev") < steps.index("python course.py lint")
    course = load_course()
    assert set(course.DEV_COMMANDS) == {"lint", "platforms", "check-site", "lock"}
    for command in course.DEV_COMMANDS:
        assert f"python course.py {command}" in steps or command == "lock", command
    assert "requirements-dev.txt" in course.pin_files("dev")
    assert "requirements-dev.txt" not in course.pin_files("pinned")


def test_ci_runs_every_notebook_on_python_313_with_the_pins():
    steps = re.findall(r"^step (.+)$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"),
                       flags=re.M)
    assert "python course.py test --python 3.13" in steps
    assert load_course().COMMANDS["test"][1] == ["-m", "pytest"], "unit tests and notebooks"


def test_the_platform_check_resolves_the_learners_and_the_maintainers_pins(monkeypatch):
    course = load_course()
    resolved = []
    monkeypatch.setattr(course.subprocess, "run", lambda args, **kwargs: resolved.append(
        args) or SimpleNamespace(returncode=0, stderr=""))
    assert course.check_platforms(Path("python")) == 0
    assert len(resolved) == len(course.SUPPORTED) * len(course.PLATFORMS) == 6
    for args in resolved:
        assert {"requirements.txt", "requirements-data.txt", "requirements-dev.txt",
                "constraints.txt", "--only-binary"} <= set(args)
    assert {args[args.index("--python-platform") + 1] for args in resolved} == {
        "x86_64-pc-windows-msvc", "aarch64-apple-darwin", "x86_64-manylinux_2_28"}


# A quiet set-up that shows progress


def test_only_the_long_installs_show_progress_and_the_editable_one_no_banner(recorded):
    course, _ = recorded
    course.ensure("3.12", base="python3.12", stack="dev")
    calls = {step: (args, env, progress) for step, args, env, progress in course.CALLS}
    for step in ("install the pins", "install the maintainers' tools (requirements-dev.txt)"):
        args, _, progress = calls[step]
        assert progress and args[args.index("--progress-bar") + 1] == "raw", step
        assert "--quiet" not in args, step
    for step in ("upgrade pip", "install the data packages",
                 "install the course's helpers (editable)"):
        args, _, progress = calls[step]
        assert "--quiet" in args and not progress, step
    # setuptools' editable-install notice is a Python warning of the build, shown despite --quiet
    assert calls["install the course's helpers (editable)"][1] == {"PYTHONWARNINGS": "ignore"}


#: pip's output (``--progress-bar raw``) as a first install on a machine without pip's cache
#: printed it, shortened.
PIP_OUTPUT = [
    'Ignoring tensorflow: markers \'sys_platform == "darwin"\' don\'t match your environment',
    "Collecting tensorflow-cpu==2.21.0 (from -r requirements.txt (line 9))",
    "  Downloading tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl (274.0 MB)",
    "Progress 0 of 274000871", "Progress 46661632 of 274000871",
    "Progress 160169984 of 274000871", "Progress 274000871 of 274000871",
    "Processing /opt/pypi/files/keras-3.15.1-py3-none-any.whl (from -r requirements.txt)",
    "Collecting shap==0.54.1 (from -r requirements.txt (line 15))",
    "  Downloading shap-0.54.1-cp312-abi3-manylinux_2_28_x86_64.whl (555 kB)",
    "Progress 0 of 555883", "Progress 555883 of 555883",
    *[f"Collecting package{i}==1.0 (from shap==0.54.1)" for i in range(20)],
    "Requirement already satisfied: pip in ./.venv/lib/python3.12/site-packages",
    "  Using cached numpy-2.5.5-cp312-cp312-manylinux_2_27_x86_64.whl (15.7 MB)",
    "Collecting numpy==2.5.5 (from -r requirements.txt (line 17))",
    "Installing collected packages: numpy, shap, keras",
    "Successfully installed keras-3.15.1 numpy-2.5.5 shap-0.54.1",
]


def test_pips_output_is_condensed_to_a_few_progress_lines():
    course = load_course()
    recent = []
    shown = "".join(course.pip_progress((line + "\n" for line in PIP_OUTPUT), recent))
    tenths = " ".join(f"{10 * tenth}%" for tenth in range(11))
    assert shown == (
        "    downloading tensorflow_cpu-2.21.0-cp312-cp312-manylinux_2_27_x86_64.whl (274.0 MB): "
        f"{tenths}\n"
        "    25 packages gathered\n"
        "    25 packages gathered; installing 3 of them\n"
        "    installed 3 packages\n")
    assert recent == [line + "\n" for line in PIP_OUTPUT], "kept for a failure's message"


@pytest.mark.skipif(os.name == "nt", reason="a shell script stands in for pip")
def test_a_failed_install_shows_pips_last_words(tmp_path, monkeypatch, capsys):
    course = load_course()
    fake = tmp_path / "pip"
    fake.write_text("#!/bin/sh\necho 'Collecting nosuchpackage==1.0'\n"
                    "echo 'ERROR: No matching distribution found' >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    with pytest.raises(course.SetupError, match=r"set-up step failed \(install the pins, exit "
                                                r"code 1\)"):
        course.call([fake], "install the pins", progress=True)
    assert "Collecting nosuchpackage==1.0" in capsys.readouterr().out


def test_children_write_utf8_whatever_the_windows_code_page():
    assert load_course().child_env()["PYTHONUTF8"] == "1"


def load_builder(monkeypatch):
    """scripts/site/build_course.py with notebooks read instead of executed and the site's
    build recorded (its keyword arguments) instead of run."""
    path = ROOT / "scripts" / "site" / "build_course.py"
    spec = importlib.util.spec_from_file_location("build_course_under_test", path)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    built = []
    monkeypatch.setattr(builder.outputs, "execute",
                        lambda path, cwd: builder.nbformat.read(path, as_version=4))
    monkeypatch.setattr(builder.outputs, "check_outputs_current", lambda notebook, name: None)
    monkeypatch.setattr(builder.book, "build_site",
                        lambda *args, **kwargs: built.append(kwargs))
    return builder, built


@pytest.mark.parametrize(("options", "maintainer"), [
    ([], False), (["--saved-outputs"], True), (["--in-place"], True)])
def test_run_ends_with_a_link_and_only_maintainers_hear_of_the_address(
        options, maintainer, monkeypatch, capsys):
    """``run`` (no option) is the learners' command: the unset repository address is not its
    business; ``site`` and ``refresh`` say it. The last line is a file:// link to the site."""
    builder, built = load_builder(monkeypatch)
    monkeypatch.setattr(builder.nbformat, "write", lambda notebook, path: None)  # --in-place
    monkeypatch.setattr(sys, "argv", ["build_course.py", *options])
    builder.main()
    assert built == [{"maintainer": maintainer}]
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == (ROOT / "build" / "html" / "index.html").as_uri()
    assert last.startswith("file:///")


def test_the_unset_address_is_said_only_to_maintainers(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(ROOT / "scripts" / "site"))
    try:
        from coursesite import book
    finally:
        sys.path.remove(str(ROOT / "scripts" / "site"))
    for name in ("stage", "run_sphinx", "check_no_machine_paths"):
        monkeypatch.setattr(book, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(book, "read_settings", lambda folder: {"repository": ""})
    book.build_site(ROOT, {}, tmp_path / "src", tmp_path / "html", maintainer=False)
    assert "address is not set" not in capsys.readouterr().out
    book.build_site(ROOT, {}, tmp_path / "src", tmp_path / "html")
    assert "The repository's address is not set" in capsys.readouterr().out


# Windows: the path length limit


def as_windows(course, monkeypatch, long_paths=False):
    """course.py's own view of the system made Windows' (pathlib stays POSIX here)."""
    monkeypatch.setattr(course, "os", SimpleNamespace(name="nt", environ=os.environ))
    monkeypatch.setattr(course, "long_paths_enabled", lambda: long_paths)


def test_a_folder_too_deep_for_windows_is_refused_with_the_fixes(monkeypatch):
    course = load_course()
    as_windows(course, monkeypatch)
    inside = len("\\.venv\\Lib\\site-packages\\") + course.LONGEST_INSTALLED
    most = course.MAX_PATH - inside
    assert most == 71, "C:\\Users\\<name>\\Downloads\\lstm-shap-course-main\\... is close"
    fits = Path("C:\\" + "x" * (most - 3))
    assert len(str(fits)) == most
    course.check_path_length(fits / ".venv")
    onedrive = Path("C:\\Users\\Lena Schmidt\\OneDrive - Universität Freiburg\\Dokumente\\Kurse"
                    "\\lstm-shap-course-main\\lstm-shap-course-main")
    with pytest.raises(course.SetupError) as refused:
        course.check_path_length(onedrive / ".venv")
    message = str(refused.value)
    assert f"is {len(str(onedrive))} characters long" in message
    assert f"at most {most}" in message and "C:\\courses\\lstm-shap-course" in message
    assert "LongPathsEnabled -Value 1" in message and "common-errors" in message
    with pytest.raises(course.SetupError, match=f"at most {most - 6}"):  # .venv-py313: 6 more
        course.check_path_length(Path("C:\\" + "x" * (most - 3)) / ".venv-py313")


def test_long_paths_enabled_or_another_system_lets_any_folder_through(monkeypatch):
    course = load_course()
    deep = Path("C:\\" + "x" * 200) / ".venv"
    course.check_path_length(deep)  # not Windows: no limit
    as_windows(course, monkeypatch, long_paths=True)
    course.check_path_length(deep)


def test_the_refusal_comes_before_anything_is_installed(recorded, monkeypatch):
    course, steps = recorded
    as_windows(course, monkeypatch)
    monkeypatch.setattr(course, "LONGEST_INSTALLED", course.MAX_PATH)
    with pytest.raises(course.SetupError, match="NOT ready"):
        course.ensure("3.12", base="python3.12")
    assert steps == [] and not course.venv_dir("3.12").exists()


@pytest.mark.parametrize(("value", "enabled"), [(1, True), (0, False), (None, False)])
def test_long_paths_are_read_from_the_registry(value, enabled, monkeypatch):
    course = load_course()
    opened = []

    class Key:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def open_key(root, path):
        opened.append((root, path))
        return Key()

    def query(key, name):
        if value is None:
            raise FileNotFoundError(name)
        return value, 4

    winreg = SimpleNamespace(HKEY_LOCAL_MACHINE="HKLM", OpenKey=open_key, QueryValueEx=query)
    monkeypatch.setitem(sys.modules, "winreg", winreg)
    assert course.long_paths_enabled() is enabled
    assert opened == [("HKLM", r"SYSTEM\CurrentControlSet\Control\FileSystem")]
