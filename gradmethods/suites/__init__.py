"""Experiment suites: suite files, the runner that trains them, and the tables it writes.

Builds on :mod:`gradmethods.training` and the layers below it.
"""
