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
    "__init__": 0,
    "world": 1,
    "catalog": 2,
    "quality": 3,
    "bootstrap": 4,
    "report": 4,
    "llm": 5,
    "agents": 6,
    "eval": 7,
    "web": 7,
    "mcp": 8,  # the MCP server reuses the console's run manager, history and security rules
    "cli": 9,
}


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
