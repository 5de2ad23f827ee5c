"""Sphinx configuration for the jobv1 documentation."""

from __future__ import annotations

import jobv1
import jobv1.testing

# The public names say they belong to jobv1 (and jobv1.testing), for tracebacks and reprs;
# autodoc reads the attribute comments in the module each is written in: point it there.
for _module in (jobv1, jobv1.testing):
    for _name in _module.__all__:
        getattr(_module, _name)  # loads the lazy names, which records where they are written
    for _name, _home in _module._WRITTEN_IN.items():
        getattr(_module, _name).__module__ = _home

project = "jobv1"
author = "The jobv1 developers"
copyright = "2026, the jobv1 developers"
release = jobv1.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",  # a [source] link on every documented name
    "sphinx_copybutton",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
# Types only for the parameters a docstring documents: the private ones of a class made
# by a wait (AsCompleted) stay out of the reference.
autodoc_typehints_description_target = "documented_params"
autodoc_default_options = {"members": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

nitpicky = True
nitpick_ignore_regex = [
    # type variables and private aliases that autodoc shows in signatures
    (
        r"py:.*",
        r"(jobv1\.(_\w+|aio)\.)?(ResultT|Callback|StatusHook|T|J|P|P\.args|P\.kwargs|AbstractContextManager)",
    ),
    (r"py:.*", r"(typing_extensions|typing)\..*"),
    # the standard library: the docs build offline, so there is no inventory to link to
    (
        r"py:.*",
        r"(abc|enum|random|sys|threading|concurrent|asyncio|collections|contextlib|types)\..*",
    ),
]

html_theme = "furo"
html_title = f"jobv1 {release}"
html_static_path = ["_static"]
html_css_files = ["wide.css"]
# The prompts and outputs of examples are not copied, only the code.
copybutton_exclude = ".linenos, .gp, .go"

# jobv1.qiskit has its own JobError, JobTimeoutError, WaitInterruptedError and JobV1: a bare
# name in another module's docstring means jobv1's.
napoleon_preprocess_types = True
_SHARED_NAMES = ("JobError", "JobTimeoutError", "JobV1", "WaitInterruptedError")
napoleon_type_aliases = {name: f"~jobv1.{name}" for name in _SHARED_NAMES}
# Type hints such as check_jobv1's ``Callable[[], JobV1[Any]]`` cannot be aliased that way;
# Sphinx links them to its first match, jobv1.JobV1, and says so: that warning alone is off.
suppress_warnings = ["ref.python"]
