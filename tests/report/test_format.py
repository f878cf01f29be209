"""The one number format of every report table, against strings worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gradmethods.report.html import summary_table
from gradmethods.suites.numbers import column_format, format_count, format_spread
from gradmethods.suites.tables import _format_summary


def test_large_counts_get_thousands_separators_in_one_notation():
    # the cell that once read "18348 [18336, 1.837e+04]"
    assert format_spread([18348.0], [18336.0], [18368.0]) == ["18,348 [18,336, 18,368]"]
    assert format_spread([1234567.0], [1000000.0], [2000000.0]) == ["1,234,567 [1,000,000, 2,000,000]"]


def test_a_median_between_two_counts_keeps_its_half_unit():
    # median of 6 and 7 generations: 6.5, not 6; quartiles interpolated at quarter units round
    assert format_count(6.5) == "6.5"
    assert format_count(3057.5) == "3,057.5"
    assert format_count(5.75) == "6" and format_count(3060.25) == "3,060"
    assert format_spread([6.5, 34.0], [5.75, 29.75], [7.0, 38.5]) == ["6.5 [6, 7]", "34 [30, 38.5]"]


def test_significant_digits_come_from_the_column_spread():
    # final errors 0.04996 / 0.04998 / 0.05: spread 4e-5 under a magnitude of 5e-2 needs 4 digits,
    # and every cell of the column gets 4, trailing zeros kept (0.05000, not 0.05)
    fmt = column_format([0.04998, 0.03963], [0.04996, 0.01693], [0.05, 0.04705])
    assert (fmt.kind, fmt.digits) == ("fixed", 4)
    assert [fmt(v) for v in (0.04998, 0.05, 0.03963, 0.01693)] == ["0.04998", "0.05000", "0.03963", "0.01693"]
    # quartiles far from the median: the minimum of 3 digits
    assert format_spread([0.0105, 0.13], [0.0104, 0.129], [0.011, 0.1304]) == [
        "0.0105 [0.0104, 0.0110]", "0.130 [0.129, 0.130]"]  # fmt: skip


def test_measurements_from_100_on_are_whole_numbers():
    # work in forward-pass equivalents: no digits dropped left of the point, none added right of it
    assert format_spread([21406.4, 707.0], [21392.0, 636.5], [21429.9, 754.0]) == [
        "21,406 [21,392, 21,430]", "707 [636, 754]"]  # fmt: skip
    assert column_format([24.44, 1210.0])(24.44) == "24.4"


def test_tiny_or_huge_magnitudes_put_the_whole_column_in_scientific_notation():
    fmt = column_format([3.2e-9, 0.5])
    assert fmt.kind == "scientific"
    assert (fmt(3.2e-9), fmt(0.5)) == ("3.20e-09", "5.00e-01")
    assert format_spread([2.5e-6], [1.25e-6], [4.0e-6]) == ["2.50e-06 [1.25e-06, 4.00e-06]"]


def test_missing_and_infinite_values():
    fmt = column_format([1.5, math.nan, math.inf])
    assert (fmt(math.nan), fmt(None), fmt(math.inf)) == ("-", "-", "inf")
    assert format_spread([math.nan], [1.0], [2.0]) == ["-"]
    assert format_spread([math.nan], [1.0], [2.0], missing="") == [""]


def _summary() -> pd.DataFrame:
    return pd.DataFrame(
        {"task": ["not", "or_and"], "method": ["genetic", "complex_step"], "runs": [20, 20], "successes": [20, 20],
         "success_rate": [1.0, 1.0], "success_low": [0.8389, 0.8389], "success_high": [1.0, 1.0],
         "iterations_median": [6.5, 3057.0], "iterations_q25": [5.75, 3055.0], "iterations_q75": [7.0, 3060.25],
         "nfev_median": [707.0, 18348.0], "nfev_q25": [636.5, 18336.0], "nfev_q75": [754.0, 18367.5],
         "fpe_median": [707.0, 73392.0], "fpe_q25": [636.5, 73344.0], "fpe_q75": [754.0, 73470.0],
         "seconds_median": [0.002372, 0.0857], "seconds_q25": [0.001989, 0.08563], "seconds_q75": [0.002564, 0.08589],
         "ert_nfev": [693.0, 18356.25], "ert_fpe": [693.0, 73422.0],
         "final_error_q10": [0.01693, 0.04999], "final_error_median": [0.03963, 0.049996],
         "final_error_q90": [0.04705, 0.05]}
    )  # fmt: skip


def test_summary_md_and_the_html_table_write_numbers_alike():
    md, page = _format_summary(_summary()), summary_table(_summary())
    assert list(md["iterations median [IQR]"]) == ["6.5 [6, 7]", "3,057 [3,055, 3,060]"]
    assert list(page["iterations median [q25, q75]"]) == ["6.5 [6, 7]", "3,057 [3,055, 3,060]"]
    calls = ["707 [636.5, 754]", "18,348 [18,336, 18,367.5]"]
    assert list(md["function evaluations (calls) median [IQR]"]) == calls
    assert list(page["function evaluations (calls) median [q25, q75]"]) == calls
    assert list(md["ERT in function evaluations (calls)"]) == ["693", "18,356"]
    assert list(page["ERT in forward-pass equivalents"]) == ["693", "73,422"]
    # final errors: a spread of 1e-5 under a magnitude of 5e-2 asks for -2 - (-5) + 1 = 4 digits, in every row
    assert list(md["final error q10 / median / q90"]) == ["0.01693 / 0.03963 / 0.04705",
                                                          "0.04999 / 0.05000 / 0.05000"]  # fmt: skip
    assert page.loc[1, "final error median [q10, q90]"] == "0.05000 [0.04999, 0.05000]"
    assert list(md["seconds median [IQR]"]) == ["0.00237 [0.00199, 0.00256]", "0.0857 [0.0856, 0.0859]"]  # 3 digits
    assert not md.map(lambda cell: "e+" in str(cell) or "e-" in str(cell)).any().any()
    assert page.loc[0, "runs"] == "20" and np.all(page["successes"] == "20")
