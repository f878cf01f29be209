"""Finding suites by name: ``gradmethods run not_or_and`` from any folder.

The suite files live in ``experiments/`` at the root of the source tree (the one copy
that is edited).  They are installed with the package as *data files*
(``setup.cfg``, ``[options.data_files]``), into ``<prefix>/share/gradmethods/experiments``.
Data files were chosen over copying the suites into the package at build time: they
need no build step and no second copy in the source tree, and the TOML files stay
plain files a user can open, copy and edit.  Where ``<prefix>`` is depends on how the
package was installed, so :func:`suite_dirs` looks in every place an installer puts
them.

A suite argument is resolved by :func:`resolve_suite`, in this order:

1. a path to an existing file (``experiments/xor.toml``, ``./my_suite.toml``): always
   wins over a name;
2. ``NAME`` or ``NAME.toml`` in the directories of :func:`suite_dirs`, first found wins:

   a. extra directories given by the caller (``gradmethods list --suites-dir``);
   b. the source tree's ``experiments/`` when the package is imported from a source
      checkout or an editable install (the folder above the package holds
      ``setup.cfg`` and ``experiments/``);
   c. ``share/gradmethods/experiments`` under the installation prefix: the data
      scheme of :mod:`sysconfig` (``sys.prefix`` in a virtual environment), the user
      scheme (``pip install --user``), and the folders above the package
      (``pip install --target DIR`` puts the data beside the package in ``DIR``).

A name that is found nowhere raises :class:`~gradmethods.suites.suite.SuiteError`
listing the known suites.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

__all__ = ["SHARE_SUBDIR", "suite_dirs", "find_suites", "resolve_suite", "known_suite_names"]

#: Where the suites are installed, relative to an installation prefix.
SHARE_SUBDIR = Path("share") / "gradmethods" / "experiments"


def _package_dir() -> Path:
    from .. import __file__ as package_init

    return Path(package_init).resolve().parent


def _source_tree_dir() -> Path | None:
    """The source tree's ``experiments/``, when the package is imported from a checkout."""
    root = _package_dir().parent
    if (root / "setup.cfg").is_file() and (root / "experiments").is_dir():
        return root / "experiments"
    return None


def _installed_dirs() -> list[Path]:
    prefixes: list[Path] = []
    for scheme in (None, f"{os.name}_user"):
        try:
            data = sysconfig.get_path("data") if scheme is None else sysconfig.get_path("data", scheme)
        except KeyError:  # a platform without a user scheme
            continue
        if data:
            prefixes.append(Path(data))
    prefixes += [Path(sys.prefix), Path(sys.base_prefix)]
    # pip install --target DIR: DIR/gradmethods and DIR/share; site-packages: <prefix>/lib/pythonX.Y/site-packages
    prefixes += list(_package_dir().parents)[:4]
    return [prefix / SHARE_SUBDIR for prefix in prefixes]


def suite_dirs(extra: Iterable[str | Path] = ()) -> list[Path]:
    """Existing directories searched for suites by name, in search order (see the module docstring)."""
    candidates = [Path(d) for d in extra]
    source = _source_tree_dir()
    if source is not None:
        candidates.append(source)
    candidates += _installed_dirs()
    found, seen = [], set()
    for directory in candidates:
        if not directory.is_dir():
            continue
        key = directory.resolve()
        if key not in seen:
            seen.add(key)
            found.append(directory)
    return found


def find_suites(extra: Iterable[str | Path] = ()) -> dict[str, Path]:
    """Every suite reachable by name: ``{name: path}``, sorted by name; an earlier directory wins."""
    suites: dict[str, Path] = {}
    for directory in suite_dirs(extra):
        for path in sorted(directory.glob("*.toml")):
            suites.setdefault(path.stem, path)
    return dict(sorted(suites.items()))


def known_suite_names(extra: Iterable[str | Path] = ()) -> list[str]:
    return list(find_suites(extra))


def resolve_suite(spec: str | Path, extra: Iterable[str | Path] = ()) -> Path:
    """The file of a suite given as a path or a name (a path to an existing file wins).

    Raises
    ------
    SuiteError
        If ``spec`` is neither an existing file nor a known suite name; the message lists
        the known names and where they were looked for.
    """
    from .suite import SuiteError

    path = Path(spec)
    if path.is_file():
        return path
    name = path.name.removesuffix(".toml")
    looks_like_a_path = len(path.parts) > 1
    if not looks_like_a_path:
        suites = find_suites(extra)
        if name in suites:
            return suites[name]
    known = known_suite_names(extra)
    where = ", ".join(str(d) for d in suite_dirs(extra)) or "(no suite directory found)"
    if looks_like_a_path:
        message = f"no such suite file: {str(spec)!r}"
    else:
        message = f"no suite file {str(spec)!r} and no suite named {name!r}"
    hint = f"known suites: {', '.join(known)} (in {where})" if known else f"no suites found (looked in {where})"
    raise SuiteError(str(spec), [("", f"{message}; {hint}")])
