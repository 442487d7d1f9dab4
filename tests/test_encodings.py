"""Every text file the course reads or writes names its encoding.

Python's default is the locale's encoding: cp936 on a Chinese Windows, where the course's UTF-8
files (°, −, Chinese text) would be read wrongly or fail. The test commands of course.py also make
Python warn at run time (PYTHONWARNDEFAULTENCODING, an error in pytest: pyproject.toml); this
test reads the code itself, so that lines no test executes, and the notebooks, are covered too.
"""

import ast
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [ROOT / "course.py"]
    + [p for folder in ("helpers", "tests", "scripts", "benchmarks")
       for p in (ROOT / folder).rglob("*.py")]
)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def mode_of(call, name):
    """The mode argument of an open-like call as written, or None when it is not given."""
    for keyword in call.keywords:
        if keyword.arg == "mode":
            return keyword.value
    # open(file, mode) and os.fdopen(fd, mode), but Path.open(mode)
    index = 0 if name == "open" and isinstance(call.func, ast.Attribute) else 1
    if name in ("open", "fdopen") and len(call.args) > index:
        return call.args[index]
    return None


def text_mode_calls_without_encoding(code):
    """Lines with open()/Path.open()/read_text()/write_text()/fdopen() in text mode, or a
    subprocess call with ``text=True``, and no ``encoding=``."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if "encoding" in keywords:
            continue
        if any(isinstance(keywords.get(flag), ast.Constant) and keywords[flag].value is True
               for flag in ("text", "universal_newlines")) and name != "mkstemp":
            found.append(node.lineno)  # subprocess decoding a child's output as text
            continue
        if name not in ("open", "read_text", "write_text", "fdopen"):
            continue
        mode = mode_of(node, name)
        text = mode.value if isinstance(mode, ast.Constant) else "r"
        if "b" not in str(text):
            found.append(node.lineno)
    return found


def test_the_check_finds_what_it_should():
    code = ("open(p)\nopen(p, 'rb')\nopen(p, encoding='utf-8')\np.read_text()\n"
            "p.write_text(s, encoding='utf-8')\np.open('w')\np.open('wb')\nos.fdopen(h, 'w')\n"
            "run(a, text=True)\nrun(a, text=True, encoding='utf-8')\nrun(a)\n")
    assert text_mode_calls_without_encoding(code) == [1, 4, 6, 8, 9]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_files_name_the_encoding(path):
    lines = text_mode_calls_without_encoding(path.read_text(encoding="utf-8"))
    assert not lines, f"{path.relative_to(ROOT)}: add encoding=\"utf-8\" on line(s) {lines}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_name_the_encoding(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            lines = text_mode_calls_without_encoding("".join(cell["source"]))
            assert not lines, f"{path.name}, cell {number}: add encoding=\"utf-8\" ({lines})"


def test_the_test_commands_make_a_missing_encoding_an_error(tmp_path):
    """Under course.py's test environment, pyproject.toml's filter fails a test that opens a text
    file without an encoding (open() and Path.write_text), and passes one that names it."""
    spec = importlib.util.spec_from_file_location("course_for_encodings", ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    (tmp_path / "test_opens.py").write_text(
        "def test_open_without(tmp_path):\n    open(tmp_path / 'a', 'w').close()\n\n"
        "def test_write_text_without(tmp_path):\n    (tmp_path / 'b').write_text('°')\n\n"
        "def test_with(tmp_path):\n    open(tmp_path / 'c', 'w', encoding='utf-8').close()\n",
        encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir",
         str(tmp_path), str(tmp_path / "test_opens.py"), "-q", "-p", "no:cacheprovider"],
        env=dict(os.environ, **course.TEST_ENV), capture_output=True, text=True, encoding="utf-8")
    assert "EncodingWarning" in done.stdout, done.stdout + done.stderr
    assert "2 failed, 1 passed" in done.stdout, done.stdout + done.stderr
