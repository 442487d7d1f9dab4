"""The course's commands, the same on Windows, macOS and Linux, in PowerShell, cmd or any shell.

    python course.py run     # set up .venv, execute every notebook, write build/html/index.html
    python course.py test    # set up .venv, run the unit tests and every notebook under nbval

Only Python 3.12 or 3.13 is needed: no make, no bash. The script itself runs on any Python from
3.8 on and looks for a 3.12 or 3.13 interpreter when the one that runs it is neither (the Windows
``py`` launcher, ``python3.12``/``python3.13`` on the PATH, pyenv's versions). It creates a
virtual environment beside itself with the pinned packages (``requirements.txt``,
``constraints.txt``), installs the course's ``helpers`` into it, and runs every command with that
environment's Python and TensorFlow's quiet settings. The maintainers' tools
(``requirements-dev.txt``: ruff, uv, playwright) are added only by the commands that use them
(``lint``, ``platforms``, ``check-site``, ``lock``) or by ``env --dev``. ``python course.py --help``
lists the commands; the Makefile's targets are shortcuts for them. The test suite itself is
defined in pyproject.toml (pytest's options), not here: the test commands only prepare its
environment.

The set-up is idempotent: a stamp in the environment records the hash of the pin files and the
Python version, and is written only after every install step succeeded. A missing or different
stamp (pins changed, an install that failed half-way) makes the next command install the pins
again; an environment made with another Python, or broken, is removed and created anew.

Why a script and not nox, tox or uv: a learner has Python and nothing else, and installing a
tool first (into which Python? Anaconda's base?) is the step that fails. This file needs only
the standard library, and the commands it runs are plain ``pip`` and ``venv``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent
SUPPORTED = ("3.12", "3.13")
#: The "3.x" version of the Python running this script.
RUNNING = f"{sys.version_info[0]}.{sys.version_info[1]}"
#: The environment every command uses unless told otherwise: the version CI runs the notebooks on.
DEFAULT_VERSION = "3.12"
#: Hosted notebooks (Colab) run this Python; the colab stack is tested on it.
COLAB_VERSION = "3.13"
STAMP = ".course-env-stamp"
OWN_PACKAGE = "lstm-shap-course-helpers"
#: The commands that need the maintainers' tools of requirements-dev.txt (the "dev" stack: the
#: pinned set plus those tools, in the same environment).
DEV_COMMANDS = ("lint", "platforms", "check-site", "lock")

#: Set for every command, as the Makefile exported them: quieter TensorFlow start-up, and plain
#: kernels instead of oneDNN ones (fewer CPU-dependent round-off differences between machines);
#: and UTF-8 for every child's files and pipes (Python's UTF-8 mode), since this script and the
#: builder read their output as UTF-8 while a Chinese Windows would write cp936.
CHILD_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONUTF8": "1"}
#: Set for the test commands: every open() without an encoding warns, and pyproject.toml's
#: pytest settings turn the warning into an error (Windows' default encoding is the locale's,
#: cp936 on a Chinese system, not UTF-8).
TEST_ENV = {"PYTHONWARNDEFAULTENCODING": "1"}
TEST_COMMANDS = ("test", "unit", "colab-test")

#: The test commands run pytest as it is: the suite (the unit tests and every notebook under
#: nbval, in two processes) is defined in pyproject.toml's [tool.pytest.ini_options] only, so
#: that a plain ``pytest`` runs the same. ``unit`` and ``colab-test`` name a folder to narrow it.
PYTEST = ["-m", "pytest"]
#: Tools that execute the notebooks as tests on the hosted stack, at requirements.txt's pins
#: (pytest-xdist and its transport execnet: pyproject.toml's options run two processes).
TEST_TOOLS = ("pytest", "nbval", "ipykernel", "nbclient", "nbformat", "pytest-xdist",
              "execnet")


class SetupError(Exception):
    """A problem the learner has to fix; the message says what to do."""


# Finding a Python 3.12 or 3.13 interpreter


def version_of(python: str) -> str | None:
    """``"3.12"`` for a Python 3.12 interpreter, None when ``python`` does not run."""
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, encoding="utf-8", timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def candidates(version: str) -> list[str]:
    """Interpreters that may be Python ``version``, most likely first (each is checked)."""
    found = []
    if os.name == "nt":
        launcher = shutil.which("py")
        if launcher:
            done = subprocess.run(
                [launcher, f"-{version}", "-c", "import sys; print(sys.executable)"],
                capture_output=True, text=True, encoding="utf-8",
            )
            if done.returncode == 0:
                found.append(done.stdout.strip())
    for name in (f"python{version}", "python3", "python"):
        path = shutil.which(name)
        if path:
            found.append(path)
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    pattern = f"{version}*/python.exe" if os.name == "nt" else f"{version}*/bin/python{version}"
    # pyenv's shims refuse a version that is not selected; its installed versions do not
    found += [str(p) for p in sorted(Path(pyenv_root, "versions").glob(pattern), reverse=True)]
    return found


def find_python(version: str) -> str | None:
    """The path of a Python ``version`` interpreter: the running one if it is, else a search."""
    if version == RUNNING:
        return sys.executable
    for python in candidates(version):
        if version_of(python) == version:
            return python
    return None


def no_python_message(wanted: list[str]) -> str:
    """What to do when no supported interpreter is found."""
    running = sys.version.split()[0]
    return (
        f"the course needs Python {' or '.join(wanted)}, and none was found "
        f"(this script runs on Python {running}, {sys.executable}).\n"
        "  Install Python 3.12 (python.org; on Windows keep the 'py launcher' option ticked, "
        "or with Anaconda: conda create -n course python=3.12), then run this command with it,\n"
        "  or name an interpreter: python course.py run --python PATH_TO_PYTHON_3.12"
    )


def requested_python(requested: str) -> tuple[str, str | None]:
    """(version, interpreter) for ``--python`` given as a version, a path or a command's name.

    A name such as ``python3.12`` or ``py`` is looked up on the PATH, as the shell would.
    """
    if requested in SUPPORTED:
        return requested, None
    python = requested if Path(requested).exists() else shutil.which(requested)
    if python:
        version = version_of(python)
        if version not in SUPPORTED:
            raise SetupError(f"--python {requested} is Python {version or '(does not run)'}; "
                             f"the course needs Python {' or '.join(SUPPORTED)}.")
        return version, python
    minor = requested.rsplit(".", 1)[0]
    if re.fullmatch(r"\d+\.\d+\.\d+", requested) and minor in SUPPORTED:
        raise SetupError(f"--python {requested}: give the version without its last number, "
                         f"--python {minor} (any Python {minor} release will do).")
    if re.fullmatch(r"\d+(\.\d+)*", requested):
        raise SetupError(f"--python {requested}: the course supports Python "
                         f"{' and '.join(SUPPORTED)} only; choose one of those.")
    raise SetupError(f"--python {requested}: no such interpreter; give a version "
                     f"({' or '.join(SUPPORTED)}), the path of a Python executable, or the name "
                     "of one on the PATH.")


def choose_python(requested: str | None) -> tuple[str, str | None]:
    """(version, interpreter) for ``--python`` (a version, a path or a name) or the default.

    The interpreter is None when it is to be searched for only if the environment must be built:
    a ready environment is reused without looking for its base interpreter.
    """
    if requested:
        return requested_python(requested)
    if RUNNING in SUPPORTED:
        return RUNNING, sys.executable
    for version in SUPPORTED:  # a ready environment first, then an interpreter to build one
        if is_ready(venv_dir(version), accepted("pinned", version)):
            return version, None
    for version in SUPPORTED:
        python = find_python(version)
        if python:
            return version, python
    raise SetupError(no_python_message(list(SUPPORTED)))


# The environment: where it lives, what defines it, whether it is ready


def venv_dir(version: str, stack: str = "pinned") -> Path:
    """``.venv`` for the pinned set on Python 3.12, ``.venv-py313`` on 3.13, ``.venv-colab``.

    The "dev" stack (the pinned set and the maintainers' tools) lives in the same folder.
    """
    if stack == "colab":
        return REPO / ".venv-colab"
    return REPO / (".venv" if version == DEFAULT_VERSION else f".venv-py{version.replace('.', '')}")


def venv_python(venv: Path) -> Path:
    """The environment's interpreter (``Scripts\\python.exe`` on Windows, ``bin/python`` else)."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def pin_files(stack: str) -> list[str]:
    """The files that define an environment: a change to any of them makes it stale."""
    common = ["requirements.txt", "requirements-data.txt", "pyproject.toml"]
    if stack == "colab":
        return common + ["requirements-colab.txt"]
    return common + ["constraints.txt"] + (["requirements-dev.txt"] if stack == "dev" else [])


def accepted(stack: str, version: str) -> set[str]:
    """The stamps that make an environment ready for ``stack``: an environment with the
    maintainers' tools serves the learners' commands too (it holds the same pins and more)."""
    wanted = {fingerprint(stack, version)}
    if stack == "pinned":
        wanted.add(fingerprint("dev", version))
    return wanted


def fingerprint(stack: str, version: str) -> str:
    """Hash of the pin files' bytes and the Python version: what the stamp records."""
    digest = hashlib.sha256(f"{stack} {version}\n".encode())
    for name in pin_files(stack):
        digest.update((REPO / name).read_bytes())
    return digest.hexdigest()


def is_ready(venv: Path, wanted: str | set[str]) -> bool:
    """True when the environment exists and its stamp matches the pins (one of ``wanted``)."""
    stamp = venv / STAMP
    wanted = {wanted} if isinstance(wanted, str) else wanted
    return (venv_python(venv).exists() and stamp.is_file()
            and stamp.read_text(encoding="utf-8").strip() in wanted)


def read_pins(name: str) -> dict[str, str]:
    """Package -> version from a requirements file's ``name==version`` lines (markers dropped)."""
    pins = {}
    for line in (REPO / name).read_text(encoding="utf-8").splitlines():
        requirement = line.split("#")[0].split(";")[0].strip()
        if "==" in requirement:
            package, version = requirement.split("==")
            pins[package.strip()] = version.strip()
    return pins


# Running things


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every child process: ours plus :data:`CHILD_ENV` and ``extra``."""
    env = dict(os.environ, **CHILD_ENV)
    env.update(extra or {})
    return env


def call(args: list, step: str, extra_env: dict[str, str] | None = None,
         progress: bool = False) -> None:
    """Run one set-up step from the repository folder; a failure raises with the step named.

    With ``progress``, the step is a long ``pip install`` (:func:`pip` with ``quiet=False``): its
    output is shown condensed by :func:`pip_progress`; pip's warnings and errors (its stderr)
    are shown as they come, and the last lines of its output too if it fails.
    """
    print(f"  {step}", flush=True)
    args, env = [str(a) for a in args], child_env(extra_env)
    if not progress:
        returncode = subprocess.run(args, cwd=REPO, env=env).returncode
    else:
        recent: list[str] = []
        with subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True,
                              encoding="utf-8", errors="replace") as process:
            for text in pip_progress(process.stdout, recent):
                print(text, end="", flush=True)
        returncode = process.returncode
        if returncode != 0:  # pip's last words, after a line a download may have left open
            print("\n" + "".join(recent[-15:]), end="", flush=True)
    if returncode != 0:
        raise SetupError(f"set-up step failed ({step}, exit code {returncode}); "
                         "the messages above say why.")


def pip(python: Path, *args: str, quiet: bool = True) -> list:
    """``pip install`` with ``args``: quiet, or (a long install) with raw progress lines that
    :func:`call` condenses."""
    shown = ["--quiet"] if quiet else ["--progress-bar", "raw"]
    return [python, "-m", "pip", "install", *shown, "--disable-pip-version-check", *args]


#: A download at least this large gets its own progress line (TensorFlow's wheel: 274 MB).
BIG_DOWNLOAD = 10_000_000
#: One line per this many packages gathered (177 in the pinned set on Linux).
GATHERED_EVERY = 25


def packages(count: int) -> str:
    """``"1 package"``, ``"3 packages"``."""
    return f"{count} package{'' if count == 1 else 's'}"


def pip_progress(lines, recent: list[str] | None = None):
    """The text to show of a ``pip install --progress-bar raw``'s output, as it comes.

    A line per :data:`GATHERED_EVERY` packages gathered (downloaded, taken from pip's cache, or
    found installed), a line with tenths for each download of at least :data:`BIG_DOWNLOAD`
    bytes, and the install's start and end with the number of packages. Every line read is
    also appended to ``recent`` (for the messages of a failed install).
    """
    gathered, name, tenths = 0, "", -1
    for line in lines:
        if recent is not None:
            recent.append(line)
        text = line.strip()
        size = re.fullmatch(r"Progress (\d+) of (\d+)", text)
        if text.startswith(("Collecting ", "Processing ", "Requirement already satisfied: ")):
            gathered += 1
            if gathered % GATHERED_EVERY == 0:
                yield f"    {gathered} packages gathered\n"
        elif text.startswith("Downloading "):
            name, tenths = text[len("Downloading "):], -1
        elif size and int(size[2]) >= BIG_DOWNLOAD:
            reached = int(size[1]) * 10 // int(size[2])
            if tenths < 0:
                yield f"    downloading {name}:"
            for tenth in range(tenths + 1, reached + 1):
                yield f" {tenth * 10}%" + ("\n" if tenth == 10 else "")
            tenths = max(tenths, reached)
        elif text.startswith("Installing collected packages: "):
            count = len(text.split(": ", 1)[1].split(", "))
            yield f"    {packages(gathered)} gathered; installing {count} of them\n"
        elif text.startswith("Successfully installed "):
            yield f"    installed {packages(len(text.split()) - 2)}\n"


def remove(venv: Path) -> None:
    """Delete an environment that is stale or half-installed."""
    try:
        shutil.rmtree(venv)
    except OSError as error:
        raise SetupError(f"cannot remove the old environment {venv} ({error}). Close programs "
                         "that use it (JupyterLab, an editor's kernel), then rerun.") from error


def ensure(version: str, base: str | None = None, stack: str = "pinned") -> Path:
    """Create, update or reuse the environment for ``stack`` on ``version``; return its Python.

    ``base`` is the interpreter to create it with; None: search for one only if needed. An
    environment whose stamp does not match is installed again over itself (fast when only a pin
    changed); one made with another Python, or broken, is removed and created anew.
    """
    venv, wanted = venv_dir(version, stack), fingerprint(stack, version)
    python = venv_python(venv)
    if is_ready(venv, accepted(stack, version)):
        print(f"environment: reusing {venv.name} (Python {version}, pins unchanged)", flush=True)
        return python
    start = time.perf_counter()
    learners_ready = stack == "dev" and is_ready(venv, fingerprint("pinned", version))
    try:
        if (venv / STAMP).is_file():
            (venv / STAMP).unlink()  # from here on, the environment is not ready
        if learners_ready:
            print(f"environment: adding the maintainers' tools to {venv.name}", flush=True)
            install_dev(python)
        else:
            install_stack(venv, version, base, stack)
    except SetupError as error:
        raise SetupError(f"{error}\n  {venv.name} is NOT ready (no stamp written); fix the cause "
                         "and rerun the same command: it takes the set-up up again.") from error
    (venv / STAMP).write_text(wanted + "\n", encoding="utf-8")  # last: only a whole install
    print(f"environment: {venv.name} ready in {time.perf_counter() - start:.0f} s", flush=True)
    return python


def install_stack(venv: Path, version: str, base: str | None, stack: str) -> None:
    """Everything ``stack`` holds into ``venv`` (created first unless usable as it is)."""
    python = venv_python(venv)
    check_path_length(venv)
    if version_of(str(python)) == version:
        print(f"environment: {venv.name} is out of date (pins changed, or a set-up that did "
              "not finish); installing the pins again", flush=True)
    else:
        create(venv, version, base)
    call(pip(python, "--upgrade", "pip"), "upgrade pip")
    if stack == "colab":
        install_colab_stack(python)
        return
    install_pinned(python)
    if stack == "dev":
        install_dev(python)


#: Windows' limit on a path's length (MAX_PATH: 260 with the terminating NUL) unless long paths
#: are enabled.
MAX_PATH = 259
#: The longest path the set-up writes below site-packages: a TensorFlow header, measured in the
#: pinned set on Python 3.12 (``tensorflow/include/external/envoy_api/.../v3/
#: client_side_weighted_round_robin.upb_minitable.h``).
LONGEST_INSTALLED = 163
#: What the Windows registry says about long paths (HKLM).
LONG_PATHS_KEY = r"SYSTEM\CurrentControlSet\Control\FileSystem"


def long_paths_enabled() -> bool:
    """True when Windows allows paths longer than 260 characters (LongPathsEnabled = 1)."""
    try:
        import winreg
    except ImportError:  # not Windows
        return False
    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, LONG_PATHS_KEY) as key:
            return winreg.QueryValueEx(key, "LongPathsEnabled")[0] == 1
    except OSError:  # no such value: not enabled
        return False


def check_path_length(venv: Path) -> None:
    """On Windows without long paths, refuse a folder so deep that the install would fail.

    Raises
    ------
    SetupError
        Naming the folder, its length, the most it may have, and the two fixes.
    """
    if os.name != "nt" or long_paths_enabled():
        return
    inside = len(f"\\{venv.name}\\Lib\\site-packages\\") + LONGEST_INSTALLED
    folder = str(venv.parent)
    if len(folder) + inside <= MAX_PATH:
        return
    raise SetupError(
        f"the course's folder is {len(folder)} characters long ({folder}); with Windows' "
        f"260-character path limit it may have at most {MAX_PATH - inside}, or TensorFlow's "
        f"install into {venv.name} fails half-way (its longest file is {LONGEST_INSTALLED} "
        "characters below Lib\\site-packages). Either:\n"
        "  move the course to a shorter folder, e.g. C:\\courses\\lstm-shap-course, and run "
        "the command there; or\n"
        "  enable long paths once (PowerShell as administrator): New-ItemProperty -Path "
        f'"HKLM:\\{LONG_PATHS_KEY}" -Name LongPathsEnabled -Value 1 -PropertyType DWORD '
        "-Force\n  then open a new terminal and rerun (docs/common-errors.md, Installation).")


def create(venv: Path, version: str, base: str | None) -> None:
    """A new virtual environment (an unusable old one removed first) from Python ``version``."""
    if venv.exists():
        print(f"environment: {venv.name} was made with another Python or is broken; "
              "building it anew", flush=True)
        remove(venv)
    base = base or find_python(version)
    if base is None:
        raise SetupError(no_python_message([version]))
    print(f"environment: creating {venv.name} with Python {version} ({base}); a few minutes "
          "the first time", flush=True)
    try:
        call([base, "-m", "venv", venv], "create the virtual environment")
    except SetupError as error:  # Debian and Ubuntu ship venv's pip separately
        raise SetupError(f"{error} On Debian or Ubuntu, install python{version}-venv first."
                         ) from error


#: The editable install's build prints setuptools' notice about editable installs as a Python
#: warning, which pip shows even with --quiet; warnings are off for that step only.
NO_BUILD_WARNINGS = {"PYTHONWARNINGS": "ignore"}


def install_pinned(python: Path) -> None:
    """The pinned set, the data-only packages and the helpers (editable) into ``python``."""
    call(pip(python, "-r", "requirements.txt", "-c", "constraints.txt", quiet=False),
         "install the pins", progress=True)
    # lumod's records only: its dependencies are not needed (requirements-data.txt)
    call(pip(python, "--no-deps", "-r", "requirements-data.txt"), "install the data packages")
    call(pip(python, "--no-deps", "-e", "."), "install the course's helpers (editable)",
         NO_BUILD_WARNINGS)


def install_dev(python: Path) -> None:
    """The maintainers' tools (requirements-dev.txt) on top of the pinned set."""
    call(pip(python, "-r", "requirements-dev.txt", "-c", "constraints.txt", quiet=False),
         "install the maintainers' tools (requirements-dev.txt)", progress=True)


def install_colab_stack(python: Path) -> None:
    """The hosted runtime's pins, then the tools that run notebooks as tests, changing none."""
    call(pip(python, "-r", "requirements-colab.txt", quiet=False),
         "install the hosted runtime's pins", progress=True)
    pins = read_pins("requirements.txt")
    tools = [f"{name}=={pins[name]}" for name in TEST_TOOLS]
    with frozen_constraints(python) as constraints:
        call(pip(python, *tools, "-c", constraints), "install the test tools")


def colab_session(python: Path) -> None:
    """As in a Colab session: the helpers installed by the notebooks' cell, then checked.

    Run every time (the helpers are installed as a copy, so a changed helper is picked up): the
    notebooks' Colab cell, ``pip check``, and the runtime's versions as pinned.
    """
    call([python, REPO / "course.py", "colab"], "install the helpers as the Colab cell does")
    call([python, "-m", "pip", "check"], "pip check")
    check_versions(python, read_pins("requirements-colab.txt"))


def check_versions(python: Path, wanted: dict[str, str]) -> None:
    """Raise unless ``python`` has exactly the ``wanted`` versions installed."""
    code = ("import json, sys; from importlib import metadata; "
            "print(json.dumps({n: metadata.version(n) for n in sys.argv[1:]}))")
    done = subprocess.run([str(python), "-c", code, *wanted], capture_output=True, text=True,
                          encoding="utf-8", check=True)
    installed = dict(sorted(json.loads(done.stdout).items()))
    if installed != dict(sorted(wanted.items())):
        raise SetupError(f"installed versions {installed} differ from the pins {wanted}")
    print(f"  versions as pinned: {installed}", flush=True)


@contextmanager
def frozen_constraints(python: Path | str):
    """Yield a temporary constraints file holding every installed distribution at its version.

    Installing with it can add packages but never upgrades or downgrades one that is already
    there: on a hosted runtime a changed package forces a restart. The course's own package is
    left out, so that a newer copy of the helpers can replace an older one.
    """
    done = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze",
                           "--disable-pip-version-check"], capture_output=True, text=True,
                          encoding="utf-8", check=True)
    lines = [line for line in done.stdout.splitlines()
             if "==" in line and not line.lower().startswith(OWN_PACKAGE)]
    handle, path = tempfile.mkstemp(suffix="-constraints.txt", text=True)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    try:
        yield path
    finally:
        os.unlink(path)


# The commands


def install_here(python: str) -> None:
    """Install the helpers and the record packages into ``python`` without changing anything.

    What a notebook's Colab cell runs (``course.py colab``): ``pip install`` of this folder (not
    editable, so it imports without a restart) and of the packages whose records notebook 05
    reads, constrained to every version already installed.
    """
    spotpy = f"spotpy=={read_pins('requirements.txt')['spotpy']}"
    with frozen_constraints(python) as constraints:
        call(pip(python, REPO, spotpy, "-c", constraints), "install the course's helpers")
        call(pip(python, "--no-deps", "-r", "requirements-data.txt", "-c", constraints),
             "install the data packages")
    print("The course's helpers are installed; nothing that was installed before changed.")


def lock(python: Path) -> None:
    """Rewrite constraints.txt from the environment: its comment header, then ``pip freeze``."""
    path = REPO / "constraints.txt"
    header = [line for line in path.read_text(encoding="utf-8").splitlines()
              if line.startswith("#")]
    done = subprocess.run([str(python), "-m", "pip", "freeze", "--exclude-editable"],
                          capture_output=True, text=True, encoding="utf-8", check=True)
    path.write_text("\n".join(header + done.stdout.splitlines()) + "\n", encoding="utf-8")
    print(f"wrote {path.name} ({len(done.stdout.splitlines())} pins)")


#: (uv's name, what a learner calls it) of the platforms whose wheels the pinned set must have.
PLATFORMS = [("x86_64-pc-windows-msvc", "Windows x86-64"),
             ("aarch64-apple-darwin", "macOS on Apple silicon"),
             ("x86_64-manylinux_2_28", "Linux x86-64")]


def check_platforms(python: Path) -> int:
    """Resolve the pinned set, binary wheels only, for every platform and supported Python.

    The learners' pins and the maintainers' tools are resolved together, as the dev environment
    holds them: the learners' set is part of it, at the versions constraints.txt fixes.
    """
    failed = 0
    for version in SUPPORTED:
        for platform, label in PLATFORMS:
            with tempfile.TemporaryDirectory() as folder:
                done = subprocess.run(
                    [str(python), "-m", "uv", "pip", "compile", "--quiet", "--no-header",
                     "--python-version", version, "--python-platform", platform,
                     "--only-binary", ":all:", "requirements.txt", "requirements-data.txt",
                     "requirements-dev.txt", "-c", "constraints.txt",
                     "-o", str(Path(folder, "resolved.txt"))],
                    cwd=REPO, capture_output=True, text=True, encoding="utf-8")
            print(f"{label}, Python {version}: {'resolves' if done.returncode == 0 else 'FAILS'}")
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                failed += 1
    return 1 if failed else 0


#: command -> (what it does, arguments after the environment's python)
COMMANDS = {
    "run": ("set up, execute every notebook, write build/html/index.html",
            ["scripts/site/build_course.py"]),
    "test": ("set up, run the unit tests and every notebook under nbval", PYTEST),
    "unit": ("set up, run the unit tests only", [*PYTEST, "tests"]),
    "lint": ("set up, lint everything with ruff (rules in pyproject.toml)",
             ["-m", "ruff", "check", "."]),
    "lab": ("set up, open the course in JupyterLab", ["-m", "jupyter", "lab", "notebooks"]),
    "refresh": ("set up, re-execute the notebooks in place (maintainers)",
                ["scripts/site/build_course.py", "--in-place"]),
    "site": ("set up, build the site from the notebooks' saved outputs (checked current)",
             ["scripts/site/build_course.py", "--saved-outputs"]),
    "check-site": ("set up, load every page of the built site in headless Chromium",
                   ["scripts/site/check_site.py"]),
    "data": ("set up, regenerate data/teaching_catchment.csv", ["-m", "helpers._kit.catchment"]),
    "compat": ("set up, check the recipe on other TensorFlow/Keras/shap stacks",
               ["scripts/compat/compat.py"]),
    "env": ("set up the environment only (--check: only say whether it is ready; --dev: "
            "with the maintainers' tools)", []),
    "lock": ("set up, rewrite constraints.txt from the environment", []),
    "platforms": ("set up, check that the pins resolve on Windows, macOS and Linux", []),
    "colab-test": ("set up .venv-colab (the hosted runtime's pins, Python 3.13), run every "
                   "notebook under nbval", [*PYTEST, "notebooks"]),
    "colab": ("install the helpers into THIS Python, changing nothing installed (Colab's cell)",
              []),
}


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """The command, the options, and the arguments passed on to the command."""
    commands = "\n".join(f"  {name:<11} {what}" for name, (what, _) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="python course.py", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The course's commands; each sets up its virtual environment first.\n"
                    "Works from any folder: paths are taken from this script's location.",
        epilog=f"commands:\n{commands}\n\nExtra arguments go to the command (pytest, or the "
               "course builder's notebooks).")
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help="see below")
    parser.add_argument("--python", metavar="VERSION_OR_PATH",
                        help="3.12 (environment .venv) or 3.13 (.venv-py313), or the path or "
                             "name (on the PATH) of an interpreter; default: the Python running "
                             "this script if it is 3.12 or 3.13, else the first of them found")
    parser.add_argument("--check", action="store_true",
                        help="with env: install nothing, exit 1 unless the environment is ready")
    parser.add_argument("--dev", action="store_true",
                        help="add the maintainers' tools (requirements-dev.txt: ruff, uv, "
                             "playwright); lint, platforms, check-site and lock always do")
    return parser.parse_known_args(argv)


def check_only(requested: str | None, dev: bool = False) -> int:
    """``env --check``: say whether the environment is ready, install nothing (``--dev``: with
    the maintainers' tools)."""
    version = next(v for v in (requested, RUNNING, DEFAULT_VERSION) if v in SUPPORTED)
    venv = venv_dir(version)
    if is_ready(venv, accepted("dev" if dev else "pinned", version)):
        print(f"environment: {venv.name} is ready (Python {version}, pins unchanged)")
        return 0
    state = "out of date" if venv.exists() else "not set up yet"
    print(f"environment: {venv.name} is {state}; run: python course.py env"
          + (f" --python {version}" if version != DEFAULT_VERSION else "")
          + (" --dev" if dev else ""))
    return 1


def caller_paths(args: list[str]) -> list[str]:
    """``args`` with each one that names a file or folder from the caller's folder made absolute.

    Commands run from the repository's folder, so ``python ../course.py run 01_x.ipynb`` typed
    in ``notebooks/`` would otherwise name a file that is not there.
    """
    return [str(Path(arg).resolve()) if not arg.startswith("-") and Path(arg).exists() else arg
            for arg in args]


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    options, extra = parse(sys.argv[1:] if argv is None else argv)
    command, extra = options.command, caller_paths(extra)
    missing = [name for name in pin_files("dev") + ["requirements-colab.txt"]
               if not (REPO / name).is_file()]
    if missing:
        raise SetupError(f"{REPO} is not a complete copy of the course (missing: "
                         f"{', '.join(missing)}); clone or unpack the whole repository.")
    if command == "colab":
        install_here(sys.executable)
        return 0
    if command == "env" and options.check:
        return check_only(options.python, options.dev)
    if command == "colab-test":
        python = ensure(COLAB_VERSION, stack="colab")
        colab_session(python)
        models = {"COURSE_MODELS_DIR": str(venv_dir(COLAB_VERSION, "colab") / "models")}
        return run_in(python, COMMANDS[command][1] + extra, dict(TEST_ENV, **models))
    version, base = choose_python(options.python)
    dev = options.dev or command in DEV_COMMANDS
    python = ensure(version, base, "dev" if dev else "pinned")
    if command == "lock":
        lock(python)
        return 0
    if command == "platforms":
        return check_platforms(python)
    if not COMMANDS[command][1]:  # env: the set-up was the whole command
        return 0
    return run_in(python, COMMANDS[command][1] + extra,
                  TEST_ENV if command in TEST_COMMANDS else None)


def run_in(python: Path, args: list[str], extra_env: dict[str, str] | None = None) -> int:
    """Run the environment's python with ``args`` from the repository folder."""
    print(f"running: {python.parent.parent.name} python {' '.join(args)}", flush=True)
    return subprocess.run([str(python), *args], cwd=REPO, env=child_env(extra_env)).returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SetupError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: an environment left half-installed is rebuilt by the next command",
              file=sys.stderr)
        sys.exit(130)
