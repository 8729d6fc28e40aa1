"""Imports point inwards: core sees neither menus nor gateway; pure layers never the reactor."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def files(*globs: str) -> list[Path]:
    return sorted({p for g in globs for p in ROOT.glob(g)})


@pytest.mark.parametrize("path", files("core/**/*.py"), ids=str)
def test_core_imports_neither_menus_nor_gateway_nor_twisted(path):
    bad = {n for n in imports_of(path) if n.split(".")[0] in {"menus", "gateway", "twisted"}}
    assert not bad, f"{path} imports {bad}"


@pytest.mark.parametrize("path", files("menus/**/*.py"), ids=str)
def test_menus_import_no_gateway_and_no_twisted(path):
    bad = {n for n in imports_of(path) if n.split(".")[0] in {"gateway", "twisted"}}
    assert not bad, f"{path} imports {bad}"


PURE = ("codec.py", "session.py", "events.py", "errors.py", "text.py", "pdus.py", "receipts.py", "reassembly.py")


@pytest.mark.parametrize("path", [p for p in files("gateway/*/*.py") if p.name in PURE], ids=str)
def test_sans_io_cores_never_touch_the_reactor(path):
    bad = {n for n in imports_of(path) if n.startswith("twisted.internet")}
    assert not bad, f"{path} imports {bad}"
