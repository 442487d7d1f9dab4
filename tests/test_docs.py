"""The README, its Chinese edition and the glossary agree: same code, real commands, live links.

No network and no TensorFlow: these tests only read the Markdown files and the Makefile.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_ZH = ROOT / "README.zh-CN.md"
GLOSSARY = ROOT / "docs" / "glossary.md"
LINKED_DOCS = [README, README_ZH, GLOSSARY, ROOT / "data" / "README.md"]

ERRORS = [
    "module 'tensorflow.python.eager.backprop' has no attribute '_record_gradient'",
    "gradient registry has no entry for: shap_TensorListStack",
]

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", flags=re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
MAKE = re.compile(r"(?:^|[\s;&|(`])make[ \t]+([A-Za-z_][\w.-]*)", flags=re.M)


def fenced_blocks(path, language=None):
    """The fenced code blocks of a Markdown file, in order, as (language, text)."""
    blocks = FENCE.findall(path.read_text(encoding="utf-8"))
    return [(lang, text) for lang, text in blocks if language is None or lang == language]


def prose(text):
    """Markdown without its fenced code blocks and inline code."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def makefile_targets():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z_][\w.-]*)\s*:(?!=)", text, flags=re.M))


def make_commands(path):
    """Every `make <target>` in a file's code: fenced blocks and inline code."""
    text = path.read_text(encoding="utf-8")
    code = [text for _, text in FENCE.findall(text)]
    code += [span.strip("`") for span in INLINE_CODE.findall(FENCE.sub("", text))]
    return {target for snippet in code for target in MAKE.findall(snippet)}


def github_anchor(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip()).lower()
    kept = "".join(
        ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LNM"
    )
    return kept.replace(" ", "-")


def anchors(path):
    """The heading anchors of a Markdown file or of a notebook's Markdown cells."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {github_anchor(h) for h in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", text, flags=re.M)}


def links(path):
    return LINK.findall(prose(path.read_text(encoding="utf-8")))


# 1. The same code in both READMEs


def test_both_readmes_have_the_same_python_blocks_in_the_same_order():
    english, chinese = fenced_blocks(README, "python"), fenced_blocks(README_ZH, "python")
    assert english, "README.md has no python blocks"
    assert len(chinese) == len(english), (
        f"README.md has {len(english)} python blocks, README.zh-CN.md {len(chinese)}: "
        "copy new or changed blocks verbatim into the Chinese edition"
    )
    for number, ((_, en), (_, zh)) in enumerate(zip(english, chinese, strict=True), start=1):
        assert zh == en, f"python block {number} differs between README.md and README.zh-CN.md"


def test_both_readmes_give_the_same_recipe():
    def recipe(path):
        found = [text for _, text in fenced_blocks(path, "python") if "def exact_deep_shap" in text]
        assert len(found) == 1, f"{path.name}: expected one block defining exact_deep_shap"
        return found[0]

    assert recipe(README_ZH) == recipe(README)


def test_both_readmes_give_the_same_shell_commands():
    def shell(path):
        return [text for lang, text in fenced_blocks(path) if lang in ("bash", "sh", "shell")]

    assert shell(README_ZH) == shell(README)


def test_every_inline_code_span_of_readme_is_kept_in_the_chinese_edition():
    """Commands, names, paths, numbers in code font and error messages stay verbatim."""

    def spans(path):
        text = FENCE.sub("", path.read_text(encoding="utf-8"))
        return {re.sub(r"\s+", " ", span) for span in re.findall(r"`[^`]+`", text)}

    missing = spans(README) - spans(README_ZH)
    assert not missing, f"inline code of README.md missing in README.zh-CN.md: {sorted(missing)}"


def test_both_readmes_have_the_same_sections():
    def count(path):
        return len(re.findall(r"^#{2,3} ", FENCE.sub("", path.read_text(encoding="utf-8")), re.M))

    assert count(README_ZH) == count(README), "a section of README.md is missing in Chinese"


# 2. Every command exists


@pytest.mark.parametrize("path", [README, README_ZH], ids=lambda p: p.name)
def test_every_make_command_names_a_makefile_target(path):
    commands = make_commands(path)
    assert {"course", "test"} <= commands, "the quick start's two commands are missing"
    assert commands <= makefile_targets(), (
        f"{path.name} names make targets the Makefile lacks: {commands - makefile_targets()}"
    )


def test_make_commands_are_found_where_they_are_written():
    """The extraction itself: code only, never the word make in prose."""
    text = "Run `make lint` or\n\n```bash\nPYTHON=x make course  # go\nmake\n```\n\nmake sense"
    blocks = [body for _, body in FENCE.findall(text)]
    inline = [s.strip("`") for s in INLINE_CODE.findall(FENCE.sub("", text))]
    found = {t for snippet in blocks + inline for t in MAKE.findall(snippet)}
    assert found == {"lint", "course"}


# 3. Every link resolves


@pytest.mark.parametrize("path", LINKED_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert links(path), f"{path.name} has no links"
    for target in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            assert re.match(r"^(https?://[^\s/]+\.[^\s]+|mailto:\S+@\S+)$", target), target
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        assert resolved.exists(), f"{path.name}: link to {target} does not resolve"
        assert ROOT in resolved.parents or resolved == ROOT, f"{target} leaves the repository"
        if anchor and resolved.suffix in (".md", ".ipynb"):
            assert anchor in anchors(resolved), f"{path.name}: no heading #{anchor} in {file_part}"


def test_github_anchors():
    assert github_anchor("The recipe: exact SHAP values for your Keras model") == (
        "the-recipe-exact-shap-values-for-your-keras-model"
    )
    assert github_anchor("快速开始") == "快速开始"
    assert github_anchor("`make` and 虚拟环境") == "make-and-虚拟环境"


# The errors people search for, and the links between the three documents


@pytest.mark.parametrize("path", [README, README_ZH], ids=lambda p: p.name)
@pytest.mark.parametrize("error", ERRORS)
def test_both_error_messages_are_quoted_verbatim(path, error):
    assert error in path.read_text(encoding="utf-8")


def test_readmes_link_each_other_and_the_glossary():
    def targets(path):
        return {target.partition("#")[0] for target in links(path)}

    assert {"README.zh-CN.md", "docs/glossary.md"} <= targets(README)
    assert {"README.md", "docs/glossary.md"} <= targets(README_ZH)
    assert {"../README.md", "../README.zh-CN.md"} <= targets(GLOSSARY)
    # the language links come first, where a reader looks for them
    assert README.read_text(encoding="utf-8").lstrip().startswith("[中文版")
    assert README_ZH.read_text(encoding="utf-8").lstrip().startswith("[English](README.md)")


def test_glossary_is_a_three_column_table_of_unique_terms():
    rows = [
        line
        for line in GLOSSARY.read_text(encoding="utf-8").splitlines()
        if line.startswith("|") and not line.startswith(("| English", "|---"))
    ]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    assert all(len(row) == 3 and all(row) for row in cells), "every row: English | 中文 | 释义"
    english = [row[0] for row in cells]
    assert len(english) == len(set(english)) >= 40
    for term in ("runoff", "snowmelt", "LSTM", "Shapley value", "gradient registry"):
        assert any(term in name for name in english), term
