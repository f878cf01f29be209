"""Sphinx configuration of the gradmethods documentation site.

Build from the repository's root (after ``pip install -e '.[docs]'``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

and open ``docs/_build/html/index.html``.  Before the pages are read, ``gallery.py`` runs
a reduced suite into ``docs/_build/gallery-results`` (see :doc:`gallery`), so the gallery
shows figures of a real run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the package, also when it is not installed
sys.path.insert(0, str(DOCS))  # gallery.py
os.environ.setdefault("MPLBACKEND", "Agg")

import gradmethods  # noqa: E402

project = "gradmethods"
author = "gradmethods contributors"
copyright = "gradmethods contributors"
version = release = gradmethods.__version__

# Sphinx reads the existing Markdown guide as it is (myst-parser), numpydoc renders the
# NumPy-style docstrings the package is written in, the PyData theme is the one of the
# NumPy/SciPy/pandas sites the users of this package know, and sphinx-argparse builds the
# command-line reference from the parser itself, so it cannot drift from the code.
extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "sphinxarg.ext",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]


# ---- Markdown (the user guide is docs/*.md, read in place) ----
myst_enable_extensions = ["colon_fence", "deflist", "dollarmath"]
myst_heading_anchors = 3  # `experiments.md#work-forward-pass-equivalents-and-calls` style links resolve

# ---- API reference ----
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
numpydoc_show_class_members = False  # members are documented by autodoc, not as stub tables
numpydoc_class_members_toctree = False

# ---- HTML ----
html_theme = "pydata_sphinx_theme"
html_title = f"gradmethods {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"gallery": [], "getting_started": []}
html_last_updated_fmt = None
html_show_sourcelink = False


def _run_gallery(app) -> None:
    import gallery

    gallery.build(DOCS / "_build" / "gallery-results")


def setup(app):
    app.connect("builder-inited", _run_gallery)
