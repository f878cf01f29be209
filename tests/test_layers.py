"""The package's folders are its layers: no module-level import runs back up a layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gradmethods

PACKAGE = Path(gradmethods.__file__).parent

#: Each subpackage's layer; a module may import, at module level, from its own
#: subpackage and from lower layers only.  ``analysis`` and ``suites`` share a level
#: and do not import each other; nor do ``report`` and ``testing`` (the conformance
#: checks, built on the gradients and training layers).
LAYERS = {"core": 0, "gradients": 1, "training": 2, "analysis": 3, "suites": 3, "report": 4, "testing": 4, "cli": 5}


def _module_level_imports(path: Path) -> list[str]:
    """Absolute names of what ``path`` imports outside any function, within gradmethods."""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = package[:-1] if package[-1] != "__init__" else package[:-1]
    names = []
    for node in ast.parse(path.read_text()).body:  # top-level statements only
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ((node.module,) if node.module else ()))
                names += [target] if node.module else [f"{target}.{alias.name}" for alias in node.names]
            elif node.module and node.module.startswith("gradmethods"):
                names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names if alias.name.startswith("gradmethods")]
    return names


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] in LAYERS)


def test_every_module_sits_in_a_layer():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in {"__init__.py", "__main__.py", "_version.py"})
    assert loose == [], f"modules outside the layer folders: {loose}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_level_import_runs_up_a_layer(path):
    own = path.relative_to(PACKAGE).parts[0]
    for target in _module_level_imports(path):
        layer = _layer(target)
        if layer is None or layer == own:
            continue
        assert LAYERS[layer] < LAYERS[own], (
            f"{path.relative_to(PACKAGE)} imports {target} at module level: {layer!r} is not below {own!r}"
        )
