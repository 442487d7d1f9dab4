"""The course's machinery: what a learner never needs to read to follow the notebooks.

The course files one folder up (``config``, ``data``, ``windowing``, ``training``, ...) hand work
to these modules in one visible line each. Nothing here imports a course file, and every
tolerance or budget comes in as an argument (``tests/test_packaging.py`` checks the first).
See ``README.md`` beside this file for what each module holds.
"""
