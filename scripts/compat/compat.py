"""`make compat`: the README recipe and explain.deep_shap on other TensorFlow/Keras/shap stacks.

Creates (or reuses) one virtual environment per combination in .compat/, with only
TensorFlow, Keras and shap (and numpy where a pin is needed) installed; the helpers are made
importable with PYTHONPATH, not installed. Runs compat_run.py (beside this script) in each (a few
tiny seeded recurrent models through the README recipe, extracted from README.md at run time,
and through helpers.explain.deep_shap where the helpers can run, then a user's session in a
process of its own: their own DeepExplainer lines, the recipe after them, more training) and
writes docs/compatibility.md.

A combination's environment is reused while its pins are unchanged (a stamp file records them).
The course's own stack is the environment running this script
(`make compat` uses .venv). Environments are created
up to three at a time (downloads dominate); the runs are one at a time (2 CPU cores).
`--discard` deletes each environment once its row has run and keeps at most three on disk at
once (each takes about 2 GB; CI uses it, so that the check needs about 6 GB, not 16 GB). A failed
install is tried once more (a network hiccup), then reported with the end of its log and the
free disk space.

Exit status 1 if a route that should work failed (the recipe everywhere, also after the user's
own failed lines, training after it, deep_shap on Keras 3, also on the models only it explains
exactly).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPAT = ROOT / ".compat"
OUTPUT = ROOT / "docs" / "compatibility.md"

#: (name, Python, pins, why this combination is here)
COMBINATIONS = [
    ("tf2.9-shap0.40", "3.9",
     # numpy<1.24: TensorFlow 2.9 is built against numpy 1.x, and shap 0.40 uses the np.bool
     # and np.int aliases numpy 1.24 removed; protobuf<3.20 comes with TensorFlow 2.9's own pin
     ["tensorflow-cpu==2.9.3", "keras==2.9.0", "shap==0.40.0", "numpy<1.24"],
     "the first user's stack (2022): shap 0.40 calls a TensorFlow function renamed since"),
    ("tf2.12-shap0.41", "3.10",
     # numpy<1.24: TensorFlow 2.12's own requirement, stated
     ["tensorflow-cpu==2.12.1", "keras==2.12.0", "shap==0.41.0", "numpy<1.24"],
     "between the first user's stack and today: shap 0.41 calls TensorFlow's new name itself"),
    ("tf2.15-keras2", "3.11",
     ["tensorflow-cpu==2.15.1", "keras==2.15.0", "shap==0.44.1", "numpy<2"],
     "the last Keras 2 stack (tf.keras); shap 0.44 has no AddV2 rule"),
    ("tf2.16-shap0.46", "3.12",
     ["tensorflow-cpu==2.16.2", "keras==3.3.3", "shap==0.46.0"],
     "the first Keras 3 TensorFlow, with the Keras of its release and the oldest shap for it"),
    ("tf2.17-shap0.47", "3.12",
     ["tensorflow-cpu==2.17.1", "keras==3.6.0", "shap==0.47.2"],
     "mid-range Keras 3"),
    ("tf2.18-shap0.48", "3.12",
     ["tensorflow-cpu==2.18.1", "keras==3.8.0", "shap==0.48.0"],
     "TensorFlow 2.18 (numpy 2), shap 0.48"),
    ("tf2.19-shap0.50", "3.12",
     ["tensorflow-cpu==2.19.1", "keras==3.10.0", "shap==0.50.0"],
     "TensorFlow 2.19, shap 0.50"),
    ("tf2.20-shap0.52", "3.12",
     ["tensorflow-cpu==2.20.0", "keras==3.12.0", "shap==0.52.0"],
     "TensorFlow 2.20, shap 0.52"),
    ("course", "3.12", None,
     "the course's own pins (requirements.txt): the environment running this script"),
]

ENVIRONMENT = {
    **os.environ,
    "PYTHONPATH": str(ROOT),
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
}


def find_python(version: str) -> str | None:
    """An interpreter of `version` ("3.11"): on the PATH, or among pyenv's versions."""
    def is_version(candidate):
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, encoding="utf-8", timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return False
        wanted = str(tuple(map(int, version.split("."))))
        return out.returncode == 0 and out.stdout.strip() == wanted

    for candidate in (os.environ.get(f"PYTHON{version.replace('.', '')}"), f"python{version}",
                      "python3"):
        if candidate and shutil.which(candidate) and is_version(candidate):
            return shutil.which(candidate)
    if shutil.which("pyenv"):
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                              encoding="utf-8").stdout.strip()
        for path in sorted(Path(root, "versions").glob(f"{version}*/bin/python{version}"),
                           reverse=True):
            if is_version(str(path)):
                return str(path)
    return None


def ensure_environment(name: str, python_version: str, pins: list[str] | None) -> tuple:
    """(python path, seconds spent creating it or 0 if reused, error or None)."""
    if pins is None:  # the course's own environment: the one running this script
        return sys.executable, 0.0, None
    venv = COMPAT / name
    stamp, wanted = venv / ".compat-stamp", json.dumps([python_version, pins])
    python = venv / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return str(python), 0.0, None
    base = find_python(python_version)
    if base is None:
        variable = "PYTHON" + python_version.replace(".", "")
        return None, 0.0, f"no Python {python_version} interpreter found (set {variable})"
    start = time.perf_counter()
    log = COMPAT / f"{name}.log"
    for attempt in (1, 2):
        shutil.rmtree(venv, ignore_errors=True)
        if install(base, venv, pins, log):
            stamp.write_text(wanted, encoding="utf-8")
            return str(python), time.perf_counter() - start, None
        print(f"compat: {name}: install attempt {attempt} failed", flush=True)
    shutil.rmtree(venv, ignore_errors=True)  # a half-made environment only takes disk space
    free_gb = shutil.disk_usage(COMPAT).free / 1e9
    return None, time.perf_counter() - start, (
        f"install failed ({free_gb:.1f} GB free on disk); the end of .compat/{log.name}: "
        + " / ".join(log_tail(log)))


def install(base: str, venv: Path, pins: list[str], log: Path) -> bool:
    """Create `venv` with `base` and pip-install `pins` into it, writing pip's output to `log`."""
    python = str(venv / "bin" / "python")
    with log.open("w", encoding="utf-8") as out:
        for command in ([base, "-m", "venv", str(venv)],
                        [python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
                        [python, "-m", "pip", "install", "--quiet", *pins]):
            done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=ENVIRONMENT,
                                  timeout=1800)
            if done.returncode != 0:
                return False
    return True


def log_tail(log: Path, lines: int = 4) -> list[str]:
    """The last `lines` lines of a pip log that say something (pip's index warnings left out)."""
    said = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines()
            if line.strip() and not line.startswith("WARNING: Location")]
    return said[-lines:] or ["(empty)"]


def run(python: str, *arguments: str) -> dict:
    """Run scripts/compat/compat_run.py under `python`; its last stdout line is a JSON row."""
    done = subprocess.run([python, str(Path(__file__).with_name("compat_run.py")), *arguments],
                          capture_output=True, text=True, encoding="utf-8", env=ENVIRONMENT,
                          cwd=ROOT, timeout=1200)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def cell(route: dict | None) -> tuple[str, str]:
    if route is None:
        return "—", "—"
    if route.get("skipped"):
        return f"not run: {route['skipped']}", "—"
    if route["works"]:
        return "yes", f"{route['max_additivity_error']:.1e}"
    return f"**no**: {route['error']}", "—"


def agreement_cell(agreement: dict | None) -> str:
    if agreement is None:
        return "—"
    if "max_difference" not in agreement:
        return f"**no**: {agreement['error']}"
    verdict = "yes" if agreement["works"] else "**no**"
    return f"{verdict}: {', '.join(agreement['engines'])}, {agreement['max_difference']:.1e}"


def session_works(session: dict) -> bool:
    """The recipe exact after the user's own failed lines, and training works after it."""
    return session.get("recipe_additivity", float("inf")) <= 1e-5 and session.get("trains_after")


def session_cells(session: dict) -> tuple[str, str, str]:
    """(the user's own lines, the recipe after them, training after), for the table."""
    if "own_lines" not in session:
        return f"**not run**: {session['error']}", "—", "—"
    own = session["own_lines"]
    own = f"fail: `{own['error']}`" if own["fails"] else "work"
    if "recipe_additivity" not in session:
        return own, f"**no**: {session['error']}", "—"
    exact = session["recipe_additivity"] <= 1e-5
    recipe = f"{'yes' if exact else '**no**'} ({session['recipe_additivity']:.1e})"
    trains = "yes" if session["trains_after"] else f"**no**: {session.get('error', '')}"
    return own.replace("|", "\\|"), recipe, trains


def write_table(rows: list[dict]) -> None:
    lines = [
        "# Compatibility: the recipe and `explain.deep_shap` across TensorFlow, Keras and shap",
        "",
        "Generated by `make compat` (`scripts/compat/compat.py`); do not edit by hand. "
        "Each row is a",
        "virtual environment with only TensorFlow, Keras and shap installed. In each, the recipe",
        "is taken from README.md as written and run on five tiny seeded models (LSTM, GRU,",
        "stacked LSTM with Dropout, Bidirectional LSTM, Conv1D + LSTM; window 8, 4 variables,",
        "10 windows explained against 20 background windows); `helpers.explain.deep_shap` is run",
        "on the same models where the helpers can import. *Works* means every model gave values",
        "whose sum plus base value equals the prediction within 1e-5; the additivity column is",
        "the largest error over all models and windows. Time: the recipe on all five models",
        "(2-core CPU, TensorFlow start-up excluded).",
        "",
        "*deep_shap, harder models*: models the recipe refuses and deep_shap explains exactly",
        "(adapted Normalization, nested Sequential, Dense(2) with output=1, Input((None, n)),",
        "hard_sigmoid). *deep_shap = recipe*: the engine deep_shap chose by default on the five",
        "models (the batched one where it covers them) and the largest difference between its",
        "values and the recipe's (shap itself); it must stay within 1e-5.",
        "",
        "*A user's session*, in a process of its own: an LSTM (window 8, 4 variables) trained for",
        "two epochs; *the user's own lines*, `shap.DeepExplainer(model, background)` and",
        "`.shap_values(X)` on it, and the error they raise; *the recipe after them*, in the same",
        "session (its largest additivity error over 20 windows against 40 background windows);",
        "*trains after*: that model and a new one train again (weights move, losses finite).",
        "",
        "*shap's own tests*: shap's TensorFlow DeepExplainer tests (eager call, Keras CNN,",
        "relu/elu/selu, the linear model's closed form, LSTM cases, several outputs), ported to",
        "`deep_shap` in `tests/test_shap_port.py`, run in the course's test suite on the last",
        "row's stack, on both engines, at shap's own tolerances; README.md gives their results.",
        "",
        "| stack | why it is here | Python | TensorFlow | Keras | shap | numpy | recipe works "
        "| recipe additivity | deep_shap works | deep_shap additivity | deep_shap, harder models "
        "| deep_shap = recipe | recipe time (s) | the user's own lines | the recipe after them "
        "| trains after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        if "error" in row:
            lines.append(f"| {row['name']} | {row['why']} |{' |' * 5} **not run**: {row['error']} |"
                         + " |" * 9)
            continue
        recipe, recipe_error = cell(row["recipe"])
        deep, deep_error = cell(row["deep_shap"])
        harder, harder_error = cell(row.get("deep_shap_harder"))
        harder = harder if harder != "yes" else f"yes ({harder_error})"
        lines.append(
            f"| {row['name']} | {row['why']} | {row['python']} | {row['tensorflow']} | "
            f"{row['keras']} | {row['shap']} | {row['numpy']} | {recipe} | {recipe_error} | "
            f"{deep} | {deep_error} | {harder} | {agreement_cell(row.get('agreement'))} | "
            f"{row['recipe']['seconds']:.1f} | {' | '.join(session_cells(row['session']))} |"
        )
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of combinations to run (default: all)")
    parser.add_argument("--discard", action="store_true",
                        help="delete each environment after its row (at most three on disk)")
    args = parser.parse_args()
    chosen = [c for c in COMBINATIONS if not args.only or c[0] in args.only]
    COMPAT.mkdir(exist_ok=True)
    print(f"compat: {shutil.disk_usage(COMPAT).free / 1e9:.1f} GB free on disk", flush=True)

    start = time.perf_counter()

    def prepare(combination):
        python, seconds, error = ensure_environment(*combination[:3])
        if seconds and not error:
            print(f"compat: created .compat/{combination[0]} in {seconds:.0f} s", flush=True)
        return python, error

    rows, failed = [], False
    with ThreadPoolExecutor(max_workers=3) as pool:
        # with --discard, the next environment is started only when a row is done and its
        # environment deleted, so never more than three are on disk
        ahead = 3 if args.discard else len(chosen)
        pending = [pool.submit(prepare, combination) for combination in chosen[:ahead]]
        for index, (name, _, pins, why) in enumerate(chosen):
            python, error = pending[index].result()
            row = {"error": error} if error else run_row(python)
            if args.discard:
                if pins is not None:
                    shutil.rmtree(COMPAT / name, ignore_errors=True)
                if index + ahead < len(chosen):
                    pending.append(pool.submit(prepare, chosen[index + ahead]))
            row.update(name=name, why=why)
            rows.append(row)
            failed = report(row) or failed
    if not args.only:
        write_table(rows)
        print(f"compat: wrote {OUTPUT.relative_to(ROOT)} after {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


def run_row(python: str) -> dict:
    """One row: the recipe and deep_shap on the tiny models, then a user's session."""
    row = run(python)
    if "error" not in row:
        row["session"] = run(python, "--session")
    return row


def report(row: dict) -> bool:
    """Print one row's results; True if a route that should work failed."""
    name = row["name"]
    if "error" in row:
        print(f"compat: {name}: not run: {row['error']}", flush=True)
        return True
    failed = not session_works(row["session"])
    print(f"compat: {name}: the user's session: {' / '.join(session_cells(row['session']))}",
          flush=True)
    keras3 = not row["keras"].startswith("2.")
    for route in ("recipe", "deep_shap"):
        result = row[route]
        expected = route == "recipe" or keras3
        if expected and not result.get("works"):
            failed = True
        status = "works" if result.get("works") else "FAILS"
        status = "skipped" if result.get("skipped") else status
        print(f"compat: {name}: {route} {status} {result.get('error', '')}", flush=True)
    agreement = row.get("agreement")
    if agreement:
        failed = failed or not agreement["works"]
        print(f"compat: {name}: deep_shap = recipe: {agreement_cell(agreement)}", flush=True)
    harder = row.get("deep_shap_harder")
    if harder:
        failed = failed or not harder["works"]
        print(f"compat: {name}: deep_shap, harder models: "
              f"{'works' if harder['works'] else 'FAILS ' + harder['error']}", flush=True)
    return failed


if __name__ == "__main__":
    sys.exit(main())
