"""Run the reduced suite whose figures the documentation's gallery shows.

The gallery is made from a real run, at every build: ``experiments/xor.toml`` with fewer
seeds and a smaller iteration budget (see :data:`REDUCED`), so that the site builds in
seconds.  The results folder is reused when it already holds the same suite complete,
and started afresh when the suite changed.  Run on its own::

    python docs/gallery.py [OUT]     # default docs/_build/gallery-results
"""

from __future__ import annotations

import shutil
import sys
import time
import tomllib
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
SUITE_FILE = ROOT / "experiments" / "xor.toml"
#: What the gallery's suite changes in ``experiments/xor.toml``: top-level keys and ``[defaults]``.
REDUCED = {"seeds": 3, "defaults": {"iterations": 2000}}
DEFAULT_OUT = DOCS / "_build" / "gallery-results"


def reduced_suite():
    """The suite of ``experiments/xor.toml`` with the :data:`REDUCED` settings."""
    from gradmethods.suites.suite import parse_suite

    document = tomllib.loads(SUITE_FILE.read_text(encoding="utf-8"))
    for key, value in REDUCED.items():
        if isinstance(value, dict):
            document.setdefault(key, {}).update(value)
        else:
            document[key] = value
    return parse_suite(document, str(SUITE_FILE))


def build(out: str | Path = DEFAULT_OUT) -> Path:
    """Run the reduced suite into ``out`` and write its report (PNG figures); return ``out``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import gradmethods as gm
    from gradmethods.report.html import write_report
    from gradmethods.suites.runner import run_suite
    from gradmethods.suites.tables import write_report_files

    out = Path(out)
    start = time.perf_counter()
    suite = reduced_suite()
    try:
        report = run_suite(suite, out, resume=out.exists())
    except ValueError:  # the folder holds another suite (xor.toml or REDUCED changed): start afresh
        shutil.rmtree(out)
        report = run_suite(suite, out)
    results = gm.load_results(out)
    write_report_files(results, plots=False)
    write_report(results, formats=["png"], dpi=100, title=f"Gallery: {suite.name}, reduced")
    print(
        f"gallery: {report.finished} runs finished, {report.skipped} reused, report written to {out} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return out


if __name__ == "__main__":
    build(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT)
