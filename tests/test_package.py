"""The package as a whole: its public names, its import cost, its demo, its examples."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import jobv1
import jobv1.aio
import jobv1.exceptions
import jobv1.job
import jobv1.jobstatus
import jobv1.monitor
import jobv1.qiskit
import jobv1.sharded
import jobv1.testing
from jobv1._clock import SystemClock, current_clock, uninstall
from jobv1.testing import FakeBackend, FakeClock

ROOT = Path(__file__).parent.parent


def public_names(module: types.ModuleType) -> list[str]:
    return sorted(
        name
        for name in dir(module)
        if not name.startswith("_")
        and not isinstance(getattr(module, name), types.ModuleType)
        and name not in {"annotations", "TYPE_CHECKING"}
    )


PUBLIC_MODULES = [jobv1, jobv1.testing, jobv1.qiskit, jobv1.jobstatus, jobv1.exceptions, jobv1.job]
#: The modules that are their own code, not a face over private modules.
OWN_MODULES = [jobv1.aio, jobv1.monitor, jobv1.sharded]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_all_is_sorted_and_exactly_the_public_names(module: types.ModuleType) -> None:
    assert module.__all__ == sorted(module.__all__)
    assert module.__all__ == public_names(module)


@pytest.mark.parametrize("module", PUBLIC_MODULES + OWN_MODULES, ids=lambda module: module.__name__)
def test_public_classes_and_functions_belong_to_a_public_module(module: types.ModuleType) -> None:
    """Tracebacks and reprs say jobv1.JobTimeoutError, never a private module's name."""
    for name in module.__all__:
        value = getattr(module, name)
        if isinstance(value, (type, types.FunctionType)):
            home = value.__module__
            assert not any(part.startswith("_") for part in home.split(".")), (name, home)
    assert "jobv1.JobTimeoutError: late" in "".join(
        __import__("traceback").format_exception_only(jobv1.JobTimeoutError("late"))
    )


def test_where_each_public_name_is_written_is_kept_for_the_docs_source_links() -> None:
    """The docs link each name to the private module that holds its code."""
    import importlib

    jobv1.Backend  # noqa: B018 - loaded on first use, and noted then
    written = jobv1._WRITTEN_IN
    assert written["JobTimeoutError"] == "jobv1._errors"
    assert written["Backend"] == "jobv1._backend"
    for name, module in written.items():
        assert module.startswith("jobv1._"), (name, module)
        assert getattr(importlib.import_module(module), name) is getattr(jobv1, name)


def test_every_public_name_has_a_docstring() -> None:
    for module in PUBLIC_MODULES:
        assert module.__doc__, module.__name__
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, (type, types.FunctionType)):
                assert value.__doc__, f"{module.__name__}.{name}"


def test_the_protocols_load_on_first_use() -> None:
    code = (
        "import sys, jobv1; assert 'typing' not in sys.modules; "
        "from jobv1 import Backend, PollPolicy; assert 'typing' in sys.modules; "
        "assert jobv1.Backend is Backend and 'Backend' in vars(jobv1); "
        "assert 'PollPolicy' in dir(jobv1)"
    )
    subprocess.run([sys.executable, "-I", "-c", code], check=True)
    with pytest.raises(AttributeError, match="module 'jobv1' has no attribute 'Nothing'"):
        jobv1.Nothing  # noqa: B018


def test_the_public_submodules_are_attributes_loaded_on_first_use() -> None:
    """Issue 24, 8: ``import jobv1; jobv1.aio.wait(...)``, as the README writes, was an error."""
    code = (
        "import sys, jobv1; "
        "names = ('aio', 'monitor', 'sharded', 'testing'); "
        "assert not any(f'jobv1.{name}' in sys.modules for name in names); "
        "assert all(name in dir(jobv1) for name in names); "
        "assert callable(jobv1.aio.wait) and callable(jobv1.monitor.job_monitor); "
        "assert callable(jobv1.sharded.gather) and callable(jobv1.testing.check_jobv1); "
        "assert jobv1.aio is sys.modules['jobv1.aio']"
    )
    subprocess.run([sys.executable, "-I", "-c", code], check=True)


def test_importing_jobv1_imports_no_heavy_module() -> None:
    heavy = [
        "threading",
        "concurrent.futures",
        "asyncio",
        "logging",
        "jobv1.testing",
        "typing",
        "typing_extensions",
        "contextlib",
        "jobv1._protocols",
        "jobv1._backend",
        "dataclasses",
        "inspect",
        "random",
    ]
    code = f"import sys, jobv1; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_the_waits_engine_loads_with_the_first_wait() -> None:
    """``import jobv1`` loads the public names, not the loop that runs a wait."""
    engine = ["jobv1._polling", "jobv1._alone", "jobv1._plain", "jobv1._choose", "jobv1._blocking"]
    code = (
        "import sys, jobv1; "
        f"print([m for m in {engine!r} if m in sys.modules]); "
        "from jobv1.testing import FakeBackend, FakeClock; "
        "clock = FakeClock().__enter__(); "
        "job = FakeBackend().run(); job.wait_for_final_state(); "
        f"print([m for m in {engine!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == ["[]", "['jobv1._alone']"]  # the one-job path: enough here


@pytest.mark.realtime
def test_the_demo_runs_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    from jobv1.__main__ import main

    assert main([]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith(
        f"jobv1 {jobv1.__version__}: job handles for remote services, with waits that keep"
    )
    assert re.search(r"^   jobv1:  JobTimeoutError after 0\.2\d\d s$", out, re.M)
    assert re.search(
        r"^   Qiskit: JobTimeoutError after 1\.0\d\d s, a whole interval late$", out, re.M
    )
    assert out.count("finished: {'00'") == 4
    assert "DONE at virtual 3600 s after 61 queries" in out
    # What each job was when asked to cancel, as it was (issue 24, 8: "(running)", then DONE).
    assert re.search(r"sim-5 was (QUEUED|RUNNING) when asked: cancel\(\) -> (True|False)", out)
    assert re.search(
        r"sim-1 was (RUNNING|DONE) when asked: cancel\(\) -> False; it ended DONE", out
    )
    tail = out[out.index("Tour over in") :]
    assert "python -m pydoc jobv1" in tail
    assert "docs/getting-started.md" not in out  # a path a wheel's user does not have


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.DOTALL)


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_every_example_in_the_readme_and_docs_runs(path: Path) -> None:
    """The examples of a page run in order, in one namespace, as a reader would run them."""
    namespace: dict[str, Any] = {"__name__": f"example_{path.stem}"}
    try:
        for n, block in enumerate(python_blocks(path), 1):
            exec(compile(block, f"{path.name}, example {n}", "exec"), namespace)
        # an example that shows a pytest test is run as pytest would, with jobv1's fixtures
        for name, test in list(namespace.items()):
            if name.startswith("test_") and callable(test):
                with FakeClock() as clock:
                    test(fake_clock=clock, fake_backend=FakeBackend())
        # a page that installs a clock removes it again
        assert isinstance(current_clock(), SystemClock)
    finally:
        while not isinstance(current_clock(), SystemClock):
            uninstall(current_clock())


def test_there_are_examples() -> None:
    assert python_blocks(ROOT / "README.md")
    assert sum(len(python_blocks(page)) for page in PAGES) >= 10


def test_the_package_metadata_is_honest() -> None:
    """Issue 14: the license tools show, the Pythons tested, no invented URLs, a release."""
    from importlib.metadata import metadata

    info = metadata("jobv1")
    assert info["Version"] == jobv1.__version__
    assert info["License-Expression"] == "Apache-2.0"
    assert info["Requires-Python"] == ">=3.10"
    versions = [
        line.rsplit(" :: ", 1)[1]
        for line in info.get_all("Classifier") or []
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", line)
    ]
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert info.get_all("Project-URL") is None
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(jobv1.__version__)} - \d{{4}}-\d\d-\d\d$", changelog, re.M)
    assert "[Unreleased]" not in changelog  # Markdown would show the brackets: no link target


@pytest.mark.realtime
def test_the_demo_says_so_where_qiskit_is_not_installed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobv1.__main__ import main

    monkeypatch.setitem(sys.modules, "qiskit.providers", None)  # import fails: not installed
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "   Qiskit: not installed here; its loop sleeps whole intervals, so about 1 s\n" in out


def test_every_narrative_page_links_into_the_api_reference() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name not in {"api.md", "changelog.md"}:
            assert "{py:" in page.read_text(encoding="utf-8"), page.name
