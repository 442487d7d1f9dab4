"""The batched DeepSHAP engine: shap's values for Keras recurrent models, computed fast.

What it computes
----------------
``helpers.explain.deep_shap(..., engine="shap")`` runs ``shap.DeepExplainer`` on an *unrolled
twin* of the model. shap then explains one window at a time, through a graph with one copy of
the recurrent cell per time step. This package computes **the same numbers** (to float32
rounding) with its own forward and backward pass: all (window, background) pairs at once, in
chunks, with the time loop kept as a loop (``tf.while_loop``), so graph size and tracing time do
not grow with the window length. It is the default engine of ``helpers.explain.deep_shap``,
which is its only user: the package is private, its modules import each other by plain names.

Pairs and chunks
----------------
Every activation is a :class:`~helpers._kit.engine.rules.Pair`: its x-half holds the ``k``
windows of a chunk (``k`` rows), its r-half the ``m`` background windows (``m`` rows). A
window's forward pass does not depend on the background window it is paired with, so each
layer's forward pass runs on these ``k + m`` rows; only the multipliers of its nonlinearities
and products need both halves, and have one value per (window, background) pair, shape
``(k, m, ...)``. The backward pass multiplies the output's seed (ones, one per pair) back
through the stored multipliers.

The modules, from the bottom up
-------------------------------
- ``errors``       the engine's refusal, and the model-agnostic routes named in refusals
- ``internals``    every private TensorFlow/Keras/shap attribute used, in one place
- ``rules``        DeepLIFT's rules as shap applies them (rescale, two-input Shapley product)
- ``layers``       non-recurrent blocks (Dense, Conv1D, Activation, pooling, Flatten, dropout)
- ``cells``        one time step of the LSTM, GRU and SimpleRNN cells, forward and back
- ``recurrent``    the time loop around a cell, and Bidirectional
- ``reading``      from a Keras model to a plan (settings and weights per layer), or a refusal
- ``runner``       the computation traced once per architecture, in chunks
- ``branches``     models with a window and a static input: their graph (``Concatenate``, a
  recurrent layer's ``initial_state``) read and run node by node
- ``inputs``       the explanation of such a model: one ``shap.Explanation`` per input
- ``forward``      the one private traced path from windows to outputs (for routes that call a
  model thousands of times)
- ``graph``        the ops between a model's input and output, and the layers that use them
- ``shap_state``   the global state DeepExplainer changes: snapshot, restore, repair
- ``checks``       the input checks of every SHAP route
- ``tolerance``    the additivity check's allowance: 1e-5 or float32's resolution at the
  outputs' scale
- ``twin``         copying a model with its recurrent layers unrolled; picking one output
- ``cache``        the result cache's keys and entries

Nothing here imports the course's files (``helpers.<name>``); tolerances and memory budgets are
passed in by the caller.

Safety
------
Only the layers listed in :data:`reading.SUPPORTED` are handled, with the options that keep the
op structure of Keras 3's cells; anything else raises
:class:`~helpers._kit.engine.errors.EngineUnsupportedError` so that the caller can use shap's
route. The caller (``helpers.explain.deep_shap``) checks that the values add up to the model's
predictions.
"""

from helpers._kit.engine.runner import plan_or_refusal, shap_values, supports, windows_per_chunk

__all__ = ["plan_or_refusal", "shap_values", "supports", "windows_per_chunk"]
