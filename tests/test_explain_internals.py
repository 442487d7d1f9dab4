"""Early warning for upgrades: every private TensorFlow/Keras/shap name the helpers use exists."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from helpers._kit.engine import internals  # noqa: E402


@pytest.mark.parametrize(("module", "attribute"), internals.PRIVATE_ATTRIBUTES)
def test_private_attribute_still_exists(module, attribute):
    assert internals.resolve(module, attribute) is not None


def test_no_other_module_reaches_private_names():
    """Only internals.py imports private TensorFlow/shap modules."""
    from pathlib import Path

    package = Path(internals.__file__).parents[2]  # helpers/
    private = ("tensorflow.python", "shap.explainers._deep", "keras.src")
    offenders = [
        f"{path.relative_to(package)}: {line.strip()}"
        for path in package.rglob("*.py")
        if path.name != "internals.py"
        for line in path.read_text(encoding="utf-8").splitlines()
        if (line.lstrip().startswith(("import ", "from ")) and any(m in line for m in private))
        or "_gradient_registry" in line
    ]
    assert offenders == []


def test_private_keras_graph_accessors_work_on_a_functional_model():
    import keras

    inputs = keras.Input((6, 2))
    hidden = keras.layers.Conv1D(3, 2, padding="causal")(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.Flatten()(hidden))
    model = keras.Model(inputs, outputs)
    assert internals.is_functional(model)
    layer, node_index, _ = internals.keras_history(model.outputs[0])
    assert isinstance(layer, keras.layers.Dense)
    arguments = internals.node_arguments(internals.inbound_node(layer, node_index))
    assert len(arguments.keras_tensors) == 1
    conv = model.layers[1]
    assert [list(pad) for pad in internals.causal_padding(conv)] == [[0, 0], [1, 0], [0, 0]]


def _private_imports(path, package_root):
    """``(module, name)`` of every import in ``path`` that reaches a private name or package."""
    import ast

    module_of_file = ".".join(path.relative_to(package_root.parent).with_suffix("").parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("helpers"):
            continue
        for alias in node.names:
            target = f"{node.module}.{alias.name}".split(".")
            private = [i for i, part in enumerate(target) if part.startswith("_")]
            # a private name or package may be used only below the package that holds it
            if private and not module_of_file.startswith(".".join(target[: private[0]]) + "."):
                found.append(f"{module_of_file}: from {node.module} import {alias.name}")
    return found


def test_no_private_name_crosses_a_module_boundary():
    """No helper imports another module's underscore names; a private package such as
    helpers._kit.engine is imported only from inside its parent package."""
    from pathlib import Path

    package = Path(internals.__file__).parents[2]  # helpers/
    offenders = [
        found for path in sorted(package.rglob("*.py")) for found in _private_imports(path, package)
    ]
    assert offenders == []
