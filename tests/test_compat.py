"""docs/compatibility.md (by `make compat`) covers every combination; the recipe works on Keras 2"""

import importlib.util

from helpers import paths


def compat_script():
    path = paths.REPO_ROOT / "scripts" / "compat.py"
    spec = importlib.util.spec_from_file_location("compat", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows():
    text = (paths.REPO_ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("| ")]
    header, *rows = rows
    return [dict(zip([h.strip() for h in header], [c.strip() for c in row], strict=True))
            for row in rows]


def test_the_table_has_a_row_for_every_combination_of_the_script():
    names = [name for name, *_ in compat_script().COMBINATIONS]
    assert len(names) >= 6
    assert [row["stack"] for row in table_rows()] == names


def test_the_recipe_works_on_every_stack_keras_2_included():
    rows = table_rows()
    assert any(row["Keras"].startswith("2.") for row in rows)
    assert all(row["recipe works"] == "yes" for row in rows)
    assert all(row["deep_shap works"] == "yes" for row in rows if row["Keras"].startswith("3."))


def test_readme_links_the_table():
    assert "(docs/compatibility.md)" in (paths.REPO_ROOT / "README.md").read_text(encoding="utf-8")
