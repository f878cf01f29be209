"""The documentation site's sources, checked without building it (Sphinx is in the `docs` extra only).

Every Markdown page of ``docs/`` is reachable from the root toctree, and every public name
(``gradmethods.__all__``) is documented in the API reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import gradmethods

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROOT_DOC = "index"
API_REFERENCE = DOCS / "api" / "gradmethods.rst"


def _source(docname: str) -> Path | None:
    for suffix in (".md", ".rst"):
        path = DOCS / f"{docname}{suffix}"
        if path.is_file():
            return path
    return None


def _toctree_entries(path: Path) -> list[str]:
    """The entries of the toctrees of one page (MyST ```{toctree}``` fences or reST ``.. toctree::``)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        blocks = re.findall(r"^(`{3,}|:{3,})\{toctree\}[^\n]*\n(.*?)^\1", text, flags=re.M | re.S)
        bodies = [body for _, body in blocks]
    else:
        bodies = re.findall(r"^\.\. toctree::[^\n]*\n((?:[ \t]+[^\n]*\n|[ \t]*\n)*)", text, flags=re.M)
    entries = []
    for body in bodies:
        for line in body.splitlines():
            line = line.strip()
            if line and not line.startswith(":"):
                entries.append(line.rsplit("<", 1)[-1].rstrip(">").strip())
    return entries


def _reachable() -> set[str]:
    seen, todo = set(), [ROOT_DOC]
    while todo:
        docname = todo.pop()
        if docname in seen:
            continue
        seen.add(docname)
        path = _source(docname)
        assert path is not None, f"toctree entry {docname!r} has no source in docs/"
        base = docname.rsplit("/", 1)[0] + "/" if "/" in docname else ""
        for entry in _toctree_entries(path):
            entry = entry.removesuffix(".md").removesuffix(".rst")
            todo.append(entry.lstrip("/") if entry.startswith("/") else base + entry)
    return seen


def test_every_markdown_page_is_in_the_toctree():
    reachable = _reachable()
    pages = {path.relative_to(DOCS).with_suffix("").as_posix() for path in DOCS.rglob("*.md")
             if "_build" not in path.relative_to(DOCS).parts}  # fmt: skip
    assert pages, "no Markdown pages in docs/"
    assert pages <= reachable, f"pages no toctree reaches: {sorted(pages - reachable)}"
    # the user guide is today's docs/*.md, read in place
    for guide_page in ("experiments", "plots", "gradient_check", "genetic", "performance", "beyond_the_gates",
                       "extending"):  # fmt: skip
        assert guide_page in reachable


def test_every_public_name_is_in_the_api_reference():
    text = API_REFERENCE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. (?:auto\w+|py:\w+):: +([\w.]+)", text, flags=re.M))
    documented |= {name.rsplit(".", 1)[-1] for name in documented}
    missing = [name for name in gradmethods.__all__ if name not in documented]
    assert not missing, f"public names not in {API_REFERENCE.relative_to(DOCS.parent)}: {missing}"


def test_the_cli_reference_is_generated_from_the_parser():
    text = (DOCS / "cli.rst").read_text(encoding="utf-8")
    assert ":module: gradmethods.cli" in text and ":func: build_parser" in text


def test_command_descriptions_use_no_sphinx_roles():
    """sphinx-argparse renders each command's docstring (its ``--help`` description) outside any
    Sphinx document, where a role such as ``:func:`` cannot be resolved and stops the build."""
    import importlib
    import pkgutil

    from gradmethods.cli import commands

    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        if info.name.startswith("_") or not module.__doc__:
            continue
        roles = re.findall(r":\w+:`", module.__doc__)
        assert not roles, f"gradmethods/cli/commands/{info.name}.py's docstring uses {roles}; write ``name`` instead"
