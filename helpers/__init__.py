"""Helpers shared by the notebooks of the LSTM + SHAP runoff course.

Modules, in the order the course uses them:

- ``errors``     the error types and the whole-number check every module shares
- ``config``     the course's defaults (window, model size, training, SHAP tolerance)
- ``paths``      where the repository keeps data, trained models and rendered output
- ``catchment``  the synthetic teaching catchment: weather generator, snow, PET, GR2M runoff,
                 and the process model's true sensitivities
- ``data``       loading and validating a monthly record from CSV
- ``daily``      daily files to months: reading, discharge to mm, the completeness rule
- ``records``    real catchment records read from installed PyPI packages (spotpy, lumod)
- ``windowing``  sliding windows, chronological split, scaling fitted on training data only
- ``metrics``    NSE, KGE, RMSE, percent bias
- ``baselines``  monthly climatology and ridge regression
- ``scores``     the LSTM against the baselines, in the target's units, with bootstrap intervals
- ``training``   the Keras LSTM, its deterministic training, saving and loading
- ``explain``    SHAP for Keras recurrent models (the fix) and cross-check routes
- ``plotting``   the figures of the course

Import what you need, e.g. ``from helpers import data, windowing``. The modules that need
TensorFlow (``training``, ``explain``) import it themselves; nothing heavy is imported here.
"""

__version__ = "0.1.0"
