"""The layers point one way: the project's base (astana_cms) < rounds < statements < public.

A module may import from its own layer and the layers below it, never from one above: the
editorial workflow, text matching and bulk writing know no app; rounds knows nothing of
statements; nothing but the public site imports the public site. The project's own wiring
(settings, urls, wsgi) sits on top of everything and is left out.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["astana_cms", "rounds", "statements", "public"]
WIRING = {"astana_cms/settings.py", "astana_cms/urls.py", "astana_cms/wsgi.py"}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):  # imports inside functions count as much as the rest
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules():
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in WIRING:
                yield layer, relative, path


@pytest.mark.parametrize(("layer", "relative", "path"), list(modules()), ids=lambda v: str(v))
def test_no_module_imports_a_layer_above_its_own(layer, relative, path):
    above = set(LAYERS[LAYERS.index(layer) + 1 :])
    wrong = imported_packages(path) & above
    assert not wrong, f"{relative} imports {sorted(wrong)}, above its layer {layer!r}"


def test_the_walk_sees_a_wrong_way_arrow(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from statements.models import Excerpt\n")
    assert "statements" in imported_packages(module)
