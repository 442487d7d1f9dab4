"""Helpers shared by the notebooks of the LSTM + SHAP runoff course.

Modules, lowest layer first (a module imports only modules above it in this list):

- ``errors``      the error type of bad records and the whole-number check every module shares
- ``config``      the course's defaults (window, model size, training, SHAP tolerance): ``COURSE``
- ``paths``       where the repository keeps data, trained models and rendered output
- ``files``       writing a file whole or not at all (temporary file, then rename)
- ``fonts``       a font with Chinese glyphs for labels in any language
- ``columns``     the teaching record's column names; matching names a user asks for
- ``dates``       reading dates (year first, ``1960/1/1``, ``1960年1月``); the date-order check
- ``windows``     sliding windows over a gap-free monthly record
- ``encodings``   decoding a user's text file (UTF-8, GBK/GB18030, ...) without mojibake
- ``workbooks``   reading an ``.xlsx`` sheet as a table
- ``reading``     ``read_table``: delimited text or a workbook to a table, with clear refusals
- ``validation``  ``validate_record``: numbers, gaps, sentinels, implausible values
- ``data``        ``load_record`` (reading + validation) and the shipped teaching record
- ``explore``     monthly anomalies, for exploring a record
- ``daily``       daily files to months: reading, discharge to mm, the completeness rule
- ``records``     real catchment records read from installed PyPI packages (spotpy, lumod)
- ``catchment``   the synthetic teaching catchment (a package): weather generator, snow, PET,
                  GR2M runoff, and the process model's true sensitivities
- ``windowing``   chronological split, scaling fitted on training data only, validation slice
- ``metrics``     NSE, KGE, RMSE, percent bias
- ``baselines``   monthly climatology and ridge regression
- ``model_files`` a trained model on disk: the .keras file, its JSON sidecar, whether they fit
- ``training``    the Keras LSTM: its deterministic training, predictions, saving and loading
- ``scores``      the LSTM against the baselines, in the target's units, with bootstrap intervals
- ``explain``     SHAP for Keras recurrent models (the fix) and cross-check routes
- ``plotting``    the figures of the course
- ``grouped_plots``  figures grouped by calendar month or by class (bars, scatter)
- ``shap_figures`` figures for reading SHAP values (notebook 04): importances, tables in
                  different units as shares on one scale, dependence grids, one event
- ``drivers``, ``sample``, ``regional``, ``parallel``  many catchments (notebook 06): a
                  synthetic sample with known drivers, one LSTM over all of them, and explaining
                  them catchment by catchment on Dask

Import what you need, e.g. ``from helpers import data, windowing``. The modules that need
TensorFlow (``training``, ``scores``, ``explain``, ``regional``, ``parallel``) import it
themselves; nothing heavy is imported here.
"""

__version__ = "0.1.0"
