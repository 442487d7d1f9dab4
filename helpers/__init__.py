"""Helpers shared by the notebooks of the LSTM + SHAP runoff course.

Each course file is a step a learner meets, lowest first (a file imports only files above it
in this list, and the machinery in ``_kit``):

- ``config``        the course's settings (``COURSE``) and where its files are
- ``data``          loading a monthly record (checked once, at load), the teaching catchment,
                    real records and daily files, monthly anomalies and seasons
- ``windowing``     sliding windows, the chronological split, the one scaler
- ``training``      the Keras LSTM: build, train, predict, save and load
- ``metrics``       skill scores, the two baselines, the LSTM against them
- ``catchment``     the teaching catchment's truth: what really drives its runoff
- ``explain``       SHAP for the LSTM: the error and why, the fix (the unrolled twin), the
                    engine choice, the additivity check, the repair of a damaged session
- ``crosschecks``   other routes to the same question: gradients, permutations, exact
                    Shapley values per variable, permutation importance
- ``readings``      SHAP values read: by variable, by lag, in mm/month, the test period's
- ``plotting``      the course's figures
- ``shap_figures``  figures for reading SHAP values
- ``regional``      many catchments: one LSTM over all of them, explained one by one

Behind the door, ``helpers/_kit`` holds what a learner never needs to read to follow the
course: the batched DeepSHAP engine, reading users' files (encodings, workbooks, dates), the
teaching catchment's generator, the many-catchments sample and the Dask runner. Its
``README.md`` says what each module holds.

Import what you need, e.g. ``from helpers import data, windowing``. Importing a file changes
nothing (fonts are set when a figure is drawn); the files that need TensorFlow import it
themselves.
"""

__version__ = "0.1.0"
