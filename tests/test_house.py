"""The house: every import points down, no room is too long (issue 23, 5).

Each module of the package stands on one floor of :data:`FLOORS`, and may
import (at run time, lazily inside a function too) only modules on the
floors below it; imports under ``if TYPE_CHECKING:`` are left out. A new
module must be given a floor here, which says where it belongs.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "src" / "jobv1"

#: The floors of the house, from the ground up.
FLOORS: list[list[str]] = [
    ["_typing", "_status", "_protocols", "_backend"],
    ["_errors", "_checks", "_clock", "_interrupt", "_observe", "_flight"],
    ["_notifier"],
    ["_policy", "_limit", "_deadline", "_workers", "testing._clock", "testing._faults"],
    ["_retry", "_requests", "_schedule"],
    ["_traits", "_intake"],
    ["_pacing", "_blocking", "_arguments", "_aiodrive"],
    ["_queries"],
    ["_reading", "_events", "_answers", "_ahead", "_roster"],
    ["_opening"],
    ["_polling", "_alone", "_plain"],
    ["_job"],
    ["_futures", "qiskit", "job", "jobstatus", "exceptions", "testing._backend"],
    ["_interop"],
    ["_reference", "_options", "_moving"],
    ["_futurewait", "testing._conformance"],
    ["_choose"],
    ["_many", "_lifecycle", "monitor"],
    ["aio", "sharded"],
    ["__init__", "testing.__init__", "testing._plugin"],
    ["_cli"],
    ["__main__"],
]

#: The most lines a module may have, and a class.
MODULE_LINES = 700
CLASS_LINES = 350


def _modules() -> dict[str, pathlib.Path]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path
        for path in sorted(ROOT.rglob("*.py"))
    }


def _runtime_imports(name: str, path: pathlib.Path) -> set[str]:
    """The package's modules that ``name`` imports at run time, by floor name."""
    package = name.split(".")[:-1]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.If)
                and isinstance(child.test, ast.Name)
                and child.test.id == "TYPE_CHECKING"
            ):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.ImportFrom) and child.level:
                base = package[: len(package) - (child.level - 1)]
                if child.module is None:  # from . import _errors
                    found.update(".".join([*base, alias.name]) for alias in child.names)
                else:
                    found.add(".".join([*base, *child.module.split(".")]))
            elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("jobv1"):
                found.add(child.module.removeprefix("jobv1").removeprefix(".") or "__init__")  # type: ignore[union-attr]
            elif isinstance(child, ast.Import):
                found.update(
                    alias.name.removeprefix("jobv1.")
                    for alias in child.names
                    if alias.name.startswith("jobv1.")
                )
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    modules = _modules()
    resolved = set()
    for target in found:
        if target in modules:
            resolved.add(target)
        elif f"{target}.__init__" in modules:
            resolved.add(f"{target}.__init__")
        elif target == "":
            resolved.add("__init__")
    return resolved - {name}


def _floor_of() -> dict[str, int]:
    return {module: level for level, floor in enumerate(FLOORS) for module in floor}


def test_every_module_has_one_floor() -> None:
    placed = [module for floor in FLOORS for module in floor]
    assert len(placed) == len(set(placed))
    assert sorted(placed) == sorted(_modules())


@pytest.mark.parametrize("name", sorted(_modules()))
def test_a_module_imports_only_the_floors_below_it(name: str) -> None:
    floor_of = _floor_of()
    up = {
        target
        for target in _runtime_imports(name, _modules()[name])
        if floor_of[target] >= floor_of[name]
    }
    assert not up, f"{name} (floor {floor_of[name]}) imports {sorted(up)} on its floor or above"


def test_the_house_finds_an_import_that_points_up(tmp_path: pathlib.Path) -> None:
    """The check above reads lazy imports and skips type-only ones, or it proves nothing."""
    source = tmp_path / "_job.py"
    source.write_text(
        "from ._typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ._many import wait\n"
        "def later():\n"
        "    from ._futures import FutureJob\n"
        "    from . import aio\n"
    )
    assert _runtime_imports("_job", source) == {"_typing", "_futures", "aio"}


def test_no_room_is_too_long() -> None:
    long_rooms = {}
    long_classes = {}
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MODULE_LINES:
            long_rooms[name] = lines
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > CLASS_LINES:
                    long_classes[name, node.name] = size
    assert (long_rooms, long_classes) == ({}, {})
