"""Helpers shared by the notebooks of the LSTM + SHAP runoff course.

Modules, lowest layer first (a module imports only modules above it in this list):

- ``config``      the course's defaults (window, model size, training, SHAP tolerance): ``COURSE``,
                  and where the repository keeps data and trained models
- ``windows``     sliding windows over a gap-free monthly record
- ``data``        ``load_record`` (reading + validation) and the shipped teaching record
- ``explore``     monthly anomalies, for exploring a record
- ``windowing``   chronological split, scaling fitted on training data only, validation slice
- ``metrics``     NSE, KGE, RMSE, percent bias
- ``baselines``   monthly climatology and ridge regression
- ``model_files`` a trained model on disk: the .keras file, its JSON sidecar, whether they fit
- ``training``    the Keras LSTM: its deterministic training, predictions, saving and loading
- ``scores``      the LSTM against the baselines, in the target's units, with bootstrap intervals
- ``explain``     SHAP for Keras recurrent models: the error, the repair, the fix (notebook 03)
- ``crosschecks`` gradient and permutation SHAP, exact variable Shapley values, importance
- ``readings``    explanations per lag and variable, in the target's units; notebook 04's set-up
- ``plotting``    the figures of the course
- ``grouped_plots``  figures grouped by calendar month or by class (bars, scatter)
- ``shap_figures`` figures for reading SHAP values (notebook 04): importances, tables in
                  different units as shares on one scale, dependence grids, one event
- ``drivers``, ``regional``  many catchments (notebook 06): known drivers, one LSTM over all of
                  them, and explaining them catchment by catchment

Behind the door, ``helpers/_kit/`` holds the machinery a learner need not read (the batched
DeepSHAP engine, user-file reading, the teaching catchment's generator, many-catchments tools);
it imports none of the files above.

Import what you need, e.g. ``from helpers import data, windowing``. The modules that need
TensorFlow (``training``, ``scores``, ``explain``, ``crosschecks``, ``readings``, ``regional``)
import it themselves; nothing heavy is imported here.
"""

__version__ = "0.1.0"
