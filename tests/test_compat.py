"""docs/compatibility.md (by `make compat`) covers every combination; the recipe works on Keras 2,
and on the first user's stack (Python 3.9, TensorFlow 2.9, shap 0.40)."""

import importlib.util

from helpers import config


def compat_script():
    path = config.REPO_ROOT / "scripts" / "compat" / "compat.py"
    spec = importlib.util.spec_from_file_location("compat", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table_rows():
    text = (config.REPO_ROOT / "docs" / "compatibility.md").read_text(encoding="utf-8")
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


def test_the_first_users_stack_is_a_green_row():
    """Issue 20: their own lines fail with the AttributeError; the recipe is exact after them in
    the same session, and the session trains afterwards."""
    row = next(row for row in table_rows() if row["TensorFlow"] == "2.9.3")
    assert row["Python"].startswith("3.9.") and row["Keras"] == "2.9.0" and row["shap"] == "0.40.0"
    assert "AttributeError: module 'tensorflow.python.eager.backprop' has no attribute " \
        "'_record_gradient'" in row["the user's own lines"]
    assert row["recipe works"] == "yes"
    assert row["the recipe after them"].startswith("yes (")
    assert row["trains after"] == "yes"


def test_after_the_users_own_lines_fail_the_recipe_is_exact_and_training_works_everywhere():
    rows = table_rows()
    assert all(row["the user's own lines"].startswith("fail: `") for row in rows)
    assert all(row["the recipe after them"].startswith("yes (") for row in rows)
    assert all(row["trains after"] == "yes" for row in rows)


def test_readme_links_the_table():
    assert "(docs/compatibility.md)" in (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_discard_keeps_at_most_three_environments_on_disk_and_deletes_each(tmp_path, monkeypatch):
    compat = compat_script()
    monkeypatch.setattr(compat, "COMPAT", tmp_path)
    on_disk = []

    def fake_environment(name, python_version, pins):
        if pins is None:
            return "python", 0.0, None
        (tmp_path / name).mkdir()
        on_disk.append(len([p for p in tmp_path.iterdir() if p.is_dir()]))
        return "python", 1.0, None

    monkeypatch.setattr(compat, "ensure_environment", fake_environment)
    monkeypatch.setattr(compat, "run_row", lambda python: {"error": "not run in this test"})
    names = [name for name, *_ in compat.COMBINATIONS]
    monkeypatch.setattr("sys.argv", ["compat.py", "--discard", "--only", *names])
    assert compat.main() == 1  # every row "failed": the fake run_row says not run
    assert len(on_disk) == len(names) - 1  # every pinned combination was created
    assert max(on_disk) <= 3
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == []


def test_a_failed_install_is_reported_with_the_end_of_its_log(tmp_path):
    log = tmp_path / "row.log"
    log.write_text("WARNING: Location 'file:///x' is ignored\nCollecting shap\n"
                   "ERROR: No matching distribution found for shap==9.9\n"
                   "WARNING: Location 'file:///y' is ignored\n", encoding="utf-8")
    assert compat_script().log_tail(log) == ["Collecting shap",
                                             "ERROR: No matching distribution found for shap==9.9"]
