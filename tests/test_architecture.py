"""The dependency rule of DESIGN.md section 3: a layer imports only what stands to its left."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "oncall"

# Layers left to right. Modules of the same rank may not import each other unless listed together.
RANK = {
    "config": 0,
    "errors": 0,
    "events": 0,
    "untrusted": 0,
    "gc_tuning": 0,
    "__init__": 0,
    "catalog": 2,
    "quality": 3,
    "world": 4,
    "bootstrap": 5,
    "report": 5,
    "llm": 6,
    "agents": 7,
    "eval": 8,
    "web": 8,
    "mcp": 9,  # the MCP server reuses the console's run manager, history and security rules
    "train": 9,  # the Detective's own model: pairs from the catalog and the eval scenarios, a LoRA
    "cli": 10,
}

# The demo (DESIGN.md section 3): only these may import it; the generic core knows no demo.
DEMO = "world"
DEMO_USERS = {"bootstrap", "cli", "eval"}


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else "__init__"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "oncall" or name.startswith("oncall.")}


def _source_files() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _source_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_only_go_left(path: Path) -> None:
    rel = path.relative_to(SRC)
    own = rel.parts[0].removesuffix(".py")
    assert own in RANK, f"{rel}: new top-level module {own!r}; give it a place in RANK and DESIGN.md"
    for target in _imports(path):
        layer = _layer(target)
        if layer == own:
            continue
        assert layer in RANK, f"{rel} imports unknown layer {target}"
        assert RANK[layer] < RANK[own] or RANK[layer] == 0, (
            f"{rel} imports {target}: {own} (rank {RANK[own]}) may only import layers to its left"
        )


@pytest.mark.parametrize("path", _source_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_only_bootstrap_cli_and_eval_import_the_demo(path: Path) -> None:
    rel = path.relative_to(SRC)
    own = rel.parts[0].removesuffix(".py")
    if own in (DEMO, *DEMO_USERS):
        return
    demo = sorted(t for t in _imports(path) if _layer(t) == DEMO)
    assert not demo, f"{rel} imports the demo ({', '.join(demo)}); only {sorted(DEMO_USERS)} may"


def test_the_demo_rule_sees_an_import(tmp_path: Path) -> None:
    # The rule reads the AST: a demo import in a core module would be found, not skipped.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from oncall.world.urns import dataset_urn\nimport oncall.world.seed\n", encoding="utf-8"
    )
    assert {_layer(t) for t in _imports(probe)} == {DEMO}
