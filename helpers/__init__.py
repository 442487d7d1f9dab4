"""Helpers shared by the notebooks of the LSTM + SHAP runoff course.

Modules, in the order the course uses them:

- ``errors``     the error types and the whole-number check every module shares
- ``config``     the course's defaults (window, model size, training, SHAP tolerance): ``COURSE``
- ``paths``      where the repository keeps data, trained models and rendered output
- ``files``      writing a file whole or not at all (temporary file, then rename)
- ``catchment``  the synthetic teaching catchment: weather generator, snow, PET, GR2M runoff,
                 and the process model's true sensitivities
- ``data``       loading and validating a monthly record from CSV
- ``daily``      daily files to months: reading, discharge to mm, the completeness rule
- ``records``    real catchment records read from installed PyPI packages (spotpy, lumod)
- ``windowing``  sliding windows, chronological split, scaling fitted on training data only
- ``metrics``    NSE, KGE, RMSE, percent bias
- ``baselines``  monthly climatology and ridge regression
- ``model_files`` a trained model on disk: the .keras file, its JSON sidecar, whether they fit
- ``training``   the Keras LSTM: its deterministic training, predictions, saving and loading
- ``scores``     the LSTM against the baselines, in the target's units, with bootstrap intervals
- ``explain``    SHAP for Keras recurrent models (the fix) and cross-check routes
- ``fonts``      a font with Chinese glyphs for labels in any language
- ``plotting``   the figures of the course

Import what you need, e.g. ``from helpers import data, windowing``. The modules that need
TensorFlow (``training``, ``scores``, ``explain``) import it themselves; nothing heavy is
imported here.
"""

__version__ = "0.1.0"
