"""Early warning for upgrades: every private TensorFlow/Keras/shap name the helpers use exists."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from helpers.explain import internals  # noqa: E402


@pytest.mark.parametrize(("module", "attribute"), internals.PRIVATE_ATTRIBUTES)
def test_private_attribute_still_exists(module, attribute):
    assert internals.resolve(module, attribute) is not None


def test_no_other_module_reaches_private_names():
    """Only internals.py imports private TensorFlow/shap modules."""
    from pathlib import Path

    package = Path(internals.__file__).parent.parent
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
