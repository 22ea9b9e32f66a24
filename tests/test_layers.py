"""The floors point down: read the imports of every module under ``tem/`` and fail on an
upward one (DESIGN.md, "Architecture")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tem

ROOT = Path(tem.__file__).parent
TOP = {"web", "cli"}
PURE = {"crypto", "verify"}
# What the pure packages may import besides the standard library and themselves.
PURE_ALLOWED = {"cryptography", "cbor2"}
FORBIDDEN_IN_PURE = {"sqlalchemy", "fastapi", "starlette", "pydantic", "httpx", "requests"}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(("tem", *path.relative_to(ROOT).with_suffix("").parts[:-1]))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                found.add(f"{base}.{node.module}" if node.module else base)
            elif node.module:
                found.add(node.module)
    return found


def _package(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[0] if len(parts) > 1 else ""


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down(path: Path) -> None:
    package = _package(path)
    imported = _imports(path)
    ours = {name for name in imported if name == "tem" or name.startswith("tem.")}
    if package not in TOP and path.name != "__main__.py":
        upward = sorted(n for n in ours if n.split(".")[1:2] and n.split(".")[1] in TOP)
        assert not upward, f"{path.relative_to(ROOT)} imports {upward}"
    if package in PURE:
        # verify/ may use crypto/; crypto/ only itself.
        allowed = {package, "crypto"}
        outside = sorted(n for n in ours if not set(n.split(".")[1:2]) <= allowed)
        assert not outside, f"{path.relative_to(ROOT)} imports {outside}"
        libraries = {n.split(".")[0] for n in imported - ours}
        assert not libraries & FORBIDDEN_IN_PURE, f"{path.relative_to(ROOT)} imports {libraries}"


def test_the_checker_sees_imports() -> None:
    """The test above would fail on the old tree: a domain endpoint importing tem.web."""
    sample = ROOT / "scans" / "check.py"
    assert "tem.scans.service" in _imports(sample)
