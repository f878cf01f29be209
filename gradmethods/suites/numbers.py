"""One number format for every table of a report: columns that read alike, cells in one notation.

A table column is formatted as a whole (:class:`ColumnFormat`, from :func:`column_format`):

* **counts** (a column whose underlying values are whole numbers: iterations, calls)
  show whole numbers with thousands separators, ``18,348``.  The median of an even
  number of counts falls halfway between two of them and keeps its half unit: the
  median of 6 and 7 generations reads ``6.5``, never ``6``.  Other fractions (the
  quarter units of interpolated quartiles) round to the nearest whole number;
* **measurements** (work in forward-pass equivalents, seconds, errors) get the same
  number of significant digits in every cell of the column, chosen from the column's
  spread: enough digits that the quartiles of each row differ from its median where
  they differ at all (at least 3, at most 6).  Values from 100 on are whole numbers
  (digits are never dropped left of the decimal point: ``21,406``, not ``21,400``),
  and trailing zeros are kept so that a column reads alike (``0.05000`` beside
  ``0.04998``);
* **one notation per column**: fixed-point with thousands separators, unless the
  column holds magnitudes below ``1e-4`` or from ``1e9`` on, in which case every
  cell of the column is in scientific notation.  A cell such as ``18348 [18336,
  1.837e+04]`` cannot occur.

Missing values (NaN, None) are shown as the ``missing`` marker; infinities as ``inf``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["ColumnFormat", "column_format", "format_count", "format_spread"]

#: Fewest and most significant digits a measurement column gets.
MIN_DIGITS, MAX_DIGITS = 3, 6
#: Outside [SMALL, LARGE) a column switches (as a whole) to scientific notation.
SMALL, LARGE = 1e-4, 1e9
#: A measurement from this magnitude on is shown as a whole number.
WHOLE_FROM = 100


def _finite(values: Iterable[object]) -> np.ndarray:
    out = []
    for value in values:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out.append(number)
    return np.asarray(out, dtype=float)


def _exponent(value: float) -> int:
    return math.floor(math.log10(abs(value))) if value else 0


@dataclass(frozen=True)
class ColumnFormat:
    """How every cell of one column is written.

    Attributes
    ----------
    kind : {"count", "fixed", "scientific"}
    digits : int
        Significant digits of a ``fixed`` or ``scientific`` column (unused for counts).
    missing : str
        What a missing value (NaN or None) shows as.
    """

    kind: str = "fixed"
    digits: int = MIN_DIGITS
    missing: str = "-"

    def __call__(self, value: object) -> str:
        """``value`` as this column writes it.

        Examples
        --------
        >>> ColumnFormat("count")(18348.0), ColumnFormat("count")(6.5)
        ('18,348', '6.5')
        >>> ColumnFormat("fixed", 4)(0.05), ColumnFormat("fixed", 3)(21406.4)
        ('0.05000', '21,406')
        """
        if value is None:
            return self.missing
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(number):
            return self.missing
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        if self.kind == "count":
            return format_count(number)
        if self.kind == "scientific":
            return f"{number:.{self.digits - 1}e}"
        decimals = 0 if abs(number) >= WHOLE_FROM else max(0, self.digits - 1 - _exponent(number))
        text = f"{number:,.{decimals}f}"
        return "0" if text.strip("-0.,") == "" else text


def format_count(value: float) -> str:
    """A count (or a median or quartile of counts): whole with thousands separators, a half unit kept.

    Examples
    --------
    >>> format_count(18348), format_count(6.5), format_count(3057.5), format_count(599.25), format_count(5.75)
    ('18,348', '6.5', '3,057.5', '599', '6')
    """
    value = float(value)
    if (2 * value).is_integer() and not value.is_integer():
        return f"{value:,.1f}"
    return f"{math.floor(value + 0.5):,d}"


def _digits_for(row: np.ndarray) -> int:
    """Significant digits for which the values of one row (a median and its bounds) differ where they differ."""
    row = row[row != 0]
    if row.size < 2:
        return MIN_DIGITS
    spread = float(row.max() - row.min())
    if spread == 0:
        return MIN_DIGITS
    return _exponent(float(np.abs(row).max())) - _exponent(spread) + 1


def column_format(*columns: Iterable[object], count: bool | None = None, missing: str = "-") -> ColumnFormat:
    """The format of one table column, from every value its cells show.

    Parameters
    ----------
    *columns : iterables of numbers
        Aligned sequences: the medians, then the lower and upper bounds shown in the
        same cells (or one sequence for a single-value column).  Row ``i`` of each
        is one cell.
    count : bool, optional
        Whether the column counts whole things (iterations, calls).  Default: True
        when every finite value is a multiple of 1/4 (as the medians and
        interpolated quartiles of whole numbers are) and one of them is at least 1.
    missing : str
        What a missing value shows as.

    Examples
    --------
    >>> fmt = column_format([0.04998, 0.0396], [0.04996, 0.0169], [0.05, 0.0470])
    >>> fmt.kind, fmt.digits, fmt(0.05)
    ('fixed', 4, '0.05000')
    >>> column_format([604, 6.5], [599, 6], [611, 7]).kind
    'count'
    """
    rows = [_finite(row) for row in zip(*columns)] if len(columns) > 1 else [_finite([v]) for v in columns[0]]
    values = np.concatenate(rows) if rows else np.array([])
    if count is None:
        quarters = 4 * values  # medians and quartiles of whole numbers are multiples of 1/4
        count = bool(values.size) and bool(np.all(quarters == np.round(quarters))) and np.abs(values).max() >= 1
    if count:
        return ColumnFormat("count", missing=missing)
    digits = max([MIN_DIGITS, *(_digits_for(row) for row in rows)])
    digits = min(digits, MAX_DIGITS)
    magnitudes = np.abs(values[values != 0])
    if magnitudes.size and (magnitudes.min() < SMALL or magnitudes.max() >= LARGE):
        return ColumnFormat("scientific", digits, missing)
    return ColumnFormat("fixed", digits, missing)


def format_spread(
    median: Iterable[object], low: Iterable[object], high: Iterable[object], *, count: bool | None = None,
    missing: str = "-", sep: str = "{m} [{lo}, {hi}]",
) -> list[str]:  # fmt: skip
    """Cells ``median [low, high]`` of one column, every value in the column's one format.

    A row whose median is missing shows ``missing`` alone.

    Examples
    --------
    >>> format_spread([18348.0], [18336.0], [18368.0])
    ['18,348 [18,336, 18,368]']
    >>> format_spread([6.5, 34.0], [6.0, 30.0], [7.0, 38.0])
    ['6.5 [6, 7]', '34 [30, 38]']
    """
    median, low, high = list(median), list(low), list(high)
    fmt = column_format(median, low, high, count=count, missing=missing)
    cells = []
    for m, lo, hi in zip(median, low, high):
        shown = fmt(m)
        cells.append(missing if shown == missing else sep.format(m=shown, lo=fmt(lo), hi=fmt(hi)))
    return cells
