"""Reports: the comparison figures and the one-page HTML report of a suite's results.

Reads the tables of :mod:`gradmethods.suites`; draws with matplotlib.
"""
