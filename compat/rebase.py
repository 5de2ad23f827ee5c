"""A pytest plugin that rebases a Qiskit provider's job classes on jobv1 before it is imported.

Loaded with ``-p rebase`` (this folder on ``PYTHONPATH``), it puts jobv1's
names into ``qiskit.providers``, ``qiskit.providers.job``, ``.jobstatus`` and
``.exceptions``, so that a provider importing its base classes from there
builds its jobs on jobv1. ``JOBV1_REBASE`` says on which base:

- ``jobv1``: :class:`jobv1.JobV1`, with jobv1's errors (the "change the
  imports" way in);
- ``jobv1.qiskit``: :class:`jobv1.qiskit.JobV1`, both a Qiskit and a jobv1
  job, with errors of both libraries.

Qiskit's own modules, and Aer's, are imported first and keep Qiskit's
classes: Aer's ``AerJob`` stays a Qiskit job, as it is in a user's process.
At the end of the session the plugin checks that it was so, and that the
provider's job classes really were rebased.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from typing import Any

import pytest

import jobv1
import jobv1.qiskit

PACKAGES_KEPT_ON_QISKIT = ("qiskit.providers", "qiskit.primitives", "qiskit.result", "qiskit_aer")


def _import_everything_under(name: str) -> None:
    try:
        package = importlib.import_module(name)
    except ModuleNotFoundError:
        return  # Aer, say, where the provider does not need it
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
        if ".test" in module.name:
            continue
        try:
            importlib.import_module(module.name)
        except Exception:  # optional dependencies that are not installed
            continue


def _rebase(base: str) -> dict[str, Any]:
    for name in PACKAGES_KEPT_ON_QISKIT:
        _import_everything_under(name)
    from qiskit import providers
    from qiskit.providers import exceptions, job, jobstatus

    names: dict[str, Any]
    if base == "jobv1":
        names = {
            "Job": jobv1.Job,
            "JobV1": jobv1.JobV1,
            "JobError": jobv1.JobError,
            "JobTimeoutError": jobv1.JobTimeoutError,
        }
    elif base == "jobv1.qiskit":
        names = {
            "Job": jobv1.Job,
            "JobV1": jobv1.qiskit.JobV1,
            "JobError": jobv1.qiskit.JobError,
            "JobTimeoutError": jobv1.qiskit.JobTimeoutError,
        }
    else:
        raise pytest.UsageError(f"JOBV1_REBASE must be jobv1 or jobv1.qiskit, not {base!r}")
    names |= {"JobStatus": jobv1.JobStatus, "JOB_FINAL_STATES": jobv1.JOB_FINAL_STATES}
    for module in (providers, job, jobstatus, exceptions):
        for name, value in names.items():
            if hasattr(module, name):
                setattr(module, name, value)
    return names


_BASE = os.environ.get("JOBV1_REBASE", "jobv1")
_NAMES = _rebase(_BASE)
_PATCHED = {"qiskit.providers", "qiskit.providers.job", "qiskit.providers.jobstatus"}
_PATCHED.add("qiskit.providers.exceptions")


def pytest_report_header() -> str:
    """Say on which base the provider's jobs run."""
    return f"jobv1 rebase: the provider's jobs are built on {_NAMES['JobV1'].__module__}.JobV1"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if a Qiskit module took jobv1's names, or no provider job was rebased."""
    ours = {id(value) for value in _NAMES.values()}
    leaked = sorted(
        f"{name}.{attribute}"
        for name, module in list(sys.modules.items())
        if name.split(".")[0] in ("qiskit", "qiskit_aer") and name not in _PATCHED
        for attribute, value in list(vars(module).items())
        if id(value) in ours
    )
    provider = os.environ["JOBV1_PROVIDER_PACKAGE"]
    rebased = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _subclasses(jobv1.JobV1)
        if cls.__module__.split(".")[0] == provider
    )
    on_jobv1 = ", ".join(rebased) or "none"
    print(f"\njobv1 rebase ({_BASE}): provider job classes on jobv1: {on_jobv1}")
    if leaked:
        print(f"jobv1 rebase: Qiskit modules that took jobv1's names: {', '.join(leaked)}")
    if leaked or not rebased:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found
