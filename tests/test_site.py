"""The course site (scripts/site/build_course.py, scripts/site/coursesite/): editions, outputs
that are never stale, the table of contents, launch links with and without the repository's
address, and bad input that stops the build with a message naming the notebook and the cell.

The site builds here from small stand-in notebooks that carry the course's file names (no
execution, a few seconds); `make course` builds it from the real ones.
"""

import json
import re
import sys

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import config

sys.path.insert(0, str(config.REPO_ROOT / "scripts" / "site"))

from coursesite import book, editions, outputs  # noqa: E402

NOTEBOOKS = sorted((config.REPO_ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"))
DOI = "https://doi.org/10.1016/0022-1694(70)90255-6"
SOLUTION = "<details>\n<summary>Solution 1</summary>\n\n```python\nx = 1\n```\n</details>"


def small_notebook(title: str, code: str = "print(1)") -> nbformat.NotebookNode:
    """A notebook with a title cell, one exercise with a folded solution and one code cell."""
    notebook = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    notebook.cells = [
        new_markdown_cell(f"# {title}\n\n**Purpose:** a stand-in.\n\n**Time to learn:** 1 minute."),
        new_code_cell(code, outputs=[new_output("stream", name="stdout", text="1\n")]),
        new_markdown_cell("## Exercises\n\n1. Set x to one.\n\n"
                          "Solutions are folded below; try first."),
        new_markdown_cell(SOLUTION),
        new_markdown_cell(f"## References\n\nA. Author (1970). {DOI}"),
    ]
    return outputs.record_code_hashes(notebook)


def small_course() -> dict[str, nbformat.NotebookNode]:
    return {path.name: small_notebook(path.stem) for path in NOTEBOOKS}


# --- editions ---------------------------------------------------------------------------------

def test_remove_solutions_keeps_the_rest_of_the_cell():
    text = f"Before.\n\n{SOLUTION}\n\nAfter, <details><summary>Hint</summary>kept</details>"
    kept, removed = editions.remove_solutions(text)
    assert removed == 1
    assert "Solution" not in kept and "x = 1" not in kept
    assert kept.startswith("Before.") and "<summary>Hint</summary>kept" in kept


def test_student_edition_drops_solution_cells_and_says_where_the_answers_are():
    instructor = small_notebook("01 · Test")
    student, removed = editions.student_edition(instructor)
    assert removed == 1
    assert len(student.cells) == len(instructor.cells) - 1
    assert "instructor edition" in student.cells[2].source and "1. Set x to one." in \
        student.cells[2].source
    assert instructor.cells[3].source == SOLUTION, "the instructor edition is not changed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_edition_of_the_course_has_every_exercise_and_no_solution(path):
    instructor = nbformat.read(path, as_version=4)
    student, removed = editions.student_edition(instructor)
    text = "\n".join(cell.source for cell in student.cells)
    assert "<summary>Solution" not in text
    folded = sum(cell.source.count("<summary>Solution") for cell in instructor.cells)
    assert removed == folded
    code = [cell.source for cell in instructor.cells if cell.cell_type == "code"]
    assert [cell.source for cell in student.cells if cell.cell_type == "code"] == code
    if folded:
        assert "## Exercises" in text


# --- saved outputs are never stale ------------------------------------------------------------

def test_outputs_recorded_for_the_current_code_pass():
    outputs.check_outputs_current(small_notebook("01 · Test"), "01_test.ipynb")


def test_edited_code_cell_makes_the_outputs_stale():
    notebook = small_notebook("01 · Test")
    notebook.cells[1].source = "print(2)"
    with pytest.raises(outputs.BuildError, match=r"01_test.ipynb, cell 1: the code changed"):
        outputs.check_outputs_current(notebook, "01_test.ipynb")


def test_added_code_cell_makes_the_outputs_stale():
    notebook = small_notebook("01 · Test")
    notebook.cells.append(new_code_cell("y = 2"))
    with pytest.raises(outputs.BuildError, match=r"1 code cells when its outputs were saved, 2"):
        outputs.check_outputs_current(notebook, "01_test.ipynb")


def test_notebook_never_executed_by_the_builder_is_refused():
    notebook = small_notebook("01 · Test")
    del notebook.metadata["course"]
    with pytest.raises(outputs.BuildError, match=r"no record of the code.*--in-place"):
        outputs.check_outputs_current(notebook, "01_test.ipynb")


def test_saved_error_stops_the_build_unless_the_cell_expects_it():
    notebook = small_notebook("01 · Test")
    notebook.cells[1].outputs = [new_output("error", ename="ZeroDivisionError",
                                            evalue="division by zero", traceback=[])]
    with pytest.raises(outputs.BuildError, match=r"01_test.ipynb, cell 1 failed: ZeroDivision"):
        outputs.check_outputs_current(notebook, "01_test.ipynb")
    notebook.cells[1].metadata["tags"] = ["raises-exception"]
    outputs.check_outputs_current(notebook, "01_test.ipynb")


def test_failing_cell_stops_execution_naming_notebook_and_cell(tmp_path):
    notebook = small_notebook("01 · Test", code="1 / 0")
    path = tmp_path / "01_test.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(outputs.BuildError, match=r"01_test.ipynb, cell 1 failed: ZeroDivision"):
        outputs.execute(path, tmp_path)


def test_a_page_naming_the_machine_s_folders_stops_the_build(tmp_path):
    (tmp_path / "page.html").write_text(f"<p>{tmp_path}/notebooks/x.py</p>", encoding="utf-8")
    with pytest.raises(outputs.BuildError, match="page.html names the machine path"):
        book.check_no_machine_paths(tmp_path, [tmp_path])
    book.check_no_machine_paths(tmp_path, [book.Path("/")])  # a bare root is not a prefix


def test_progress_bars_and_machine_paths_are_removed():
    notebook = small_notebook("01 · Test")
    notebook.cells[1].outputs = [
        new_output("stream", name="stderr", text=" 45%|████▍     | 66/147 [00:01<00:02]"),
        new_output("stream", name="stdout", text="/home/me/course/.venv/lib/x.py: 3 s\n"),
    ]
    outputs.strip_progress_bars(notebook)
    outputs.strip_machine_paths(notebook, ["/home/me/course/"])
    assert [output.text for output in notebook.cells[1].outputs] == [".venv/lib/x.py: 3 s\n"]


# --- table of contents and the repository's address -------------------------------------------

def test_every_notebook_is_in_the_table_of_contents():
    index = (config.REPO_ROOT / "book" / "index.md").read_text(encoding="utf-8")
    book.check_toc(index, [path.name for path in NOTEBOOKS])


def test_notebook_missing_from_the_table_of_contents_is_named():
    index = "```{toctree}\n:caption: Course\n\nnotebooks/01_a\n```\n"
    with pytest.raises(outputs.BuildError, match=r"notebooks/02_b.ipynb is not in the table"):
        book.check_toc(index, ["01_a.ipynb", "02_b.ipynb"])


def test_table_of_contents_entry_without_its_notebook_is_named():
    index = "```{toctree}\n:caption: Course\n\nnotebooks/01_a\nnotebooks/02_gone\n```\n"
    with pytest.raises(outputs.BuildError, match=r"lists notebooks/02_gone, but there is no"):
        book.check_toc(index, ["01_a.ipynb"])


def test_the_repository_address_is_one_setting_cited_the_same():
    site = book.read_settings(config.REPO_ROOT / "book")["repository"] or None
    citation = yaml.safe_load((config.REPO_ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation.get("repository-code") == site


@pytest.mark.parametrize("url", ["github.com/a/b", "https://gitlab.com/a/b", "https://github.com/a"])
def test_a_repository_address_colab_cannot_open_is_refused(url):
    with pytest.raises(outputs.BuildError, match="https://github.com/OWNER/NAME"):
        book.repository_address(url)


def test_sphinx_warning_names_the_notebook_cell():
    warning = "/tmp/src/notebooks/02_x.ipynb:40003: WARNING: undefined label: 'a' [ref.ref]"
    assert book.name_cell(warning, book.Path("/tmp/src")) == \
        "notebooks/02_x.ipynb, cell 3: WARNING: undefined label: 'a' [ref.ref]"


# --- the site, built both ways ----------------------------------------------------------------

def build(tmp_path, notebooks, repository=None):
    out = tmp_path / "html"
    book.build_site(config.REPO_ROOT, notebooks, tmp_path / "src", out, repository=repository)
    return out


def test_without_an_address_pages_say_how_to_upload_to_colab(tmp_path, capsys):
    out = build(tmp_path, small_course())
    assert capsys.readouterr().out.count("address is not set") == 1
    for path in NOTEBOOKS:
        for edition in ("notebooks", "student"):
            page = (out / edition / f"{path.stem}.html").read_text(encoding="utf-8")
            assert "Upload notebook" in page and "set-up cell at the top" in page
            assert "/content/lstm-shap-course" in page, "the set-up cell needs the course there"
            assert "colab.research.google.com/github" not in page
            download = re.search(r'href="([^"]+[.]ipynb)"[^>]*>(<[^>]+>)*Download the notebook',
                                 page).group(1)
            copy = json.loads((out / edition / download).read_text(encoding="utf-8"))
            assert "".join(copy["cells"][0]["source"]).startswith("# "), "a notebook to download"
        student = (out / "student" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert "Solution 1" not in student and "Set x to one." in student
        assert f'href="{DOI}"' in page, "a reference's DOI is a link"
    assert (out / "README.html").is_file() and (out / "README.zh-CN.html").is_file()
    for doc in (config.REPO_ROOT / "docs").glob("*.md"):
        assert (out / "docs" / f"{doc.stem}.html").is_file(), f"docs/{doc.name} has no page"


def test_with_an_address_pages_link_to_colab_and_say_how_to_clone_the_course(tmp_path):
    out = build(tmp_path, small_course(), repository="https://github.com/example/course")
    for path in NOTEBOOKS:
        page = (out / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        colab = ("https://colab.research.google.com/github/example/course/blob/main/"
                 f"notebooks/{path.name}")
        assert colab in page
        # the set-up cell installs the helpers from /content/lstm-shap-course: a clone puts it there
        assert ("!git clone --depth 1 --branch main https://github.com/example/course "
                "/content/lstm-shap-course") in re.sub(r"<[^>]+>", "", page)
        assert "mybinder.org" not in page, "no Binder link: the repository has no Binder set-up"
        student = (out / "student" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert "Upload notebook" in student, "student copies are not in the repository"


def test_sidebar_in_course_order_previous_next_and_contents_on_each_page(tmp_path):
    out = build(tmp_path, small_course())
    index = (out / "index.html").read_text(encoding="utf-8")
    sidebar = re.search(r'<nav class="bd-links bd-docs-nav".*?</nav>', index, re.S).group(0)
    listed = re.findall(r'href="notebooks/([^"]+)[.]html"', sidebar)
    assert listed == [path.stem for path in NOTEBOOKS], "the sidebar lists them in course order"
    assert 'href="student/index.html"' in sidebar, "the student edition is reachable"
    student = (out / "student" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'href="([^"/]+)[.]html"', student.split('id="about-the-student-edition"')[1]
                      )[:len(NOTEBOOKS)] == [path.stem for path in NOTEBOOKS]
    stems = [None, *(path.stem for path in NOTEBOOKS), None]
    for before, path, after in zip(stems, NOTEBOOKS, stems[2:], strict=False):
        page = (out / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        navigation = re.search(r'<div class="prev-next-area">.*?</div>\s*</footer>', page, re.S)
        previous = re.search(r'class="left-prev"\s+href="([^"]+)"', navigation.group(0))
        following = re.search(r'class="right-next"\s+href="([^"]+)"', navigation.group(0))
        assert previous.group(1) == (f"{before}.html" if before else "../index.html")
        if after:
            assert following.group(1) == f"{after}.html"
        contents = re.search(r'<nav id="pst-page-toc-nav".*?</nav>', page, re.S).group(0)
        assert 'href="#exercises"' in contents and 'href="#references"' in contents


def test_launch_boxes_name_the_folder_the_set_up_cells_install_from():
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        set_up = next(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert f"{book.COLAB_FOLDER}/course.py" in set_up, path.name


def test_broken_cross_reference_stops_the_build_naming_notebook_and_cell(tmp_path):
    notebooks = small_course()
    name = NOTEBOOKS[1].name
    notebooks[name].cells[2].source += "\n\nSee [the missing section](#no-such-heading)."
    with pytest.raises(outputs.BuildError, match=rf"notebooks/{name}, cell 2: .*no-such-heading"):
        build(tmp_path, notebooks)
