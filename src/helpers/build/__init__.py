"""The build of a report set: validate, run each notebook in a fresh kernel, export, publish.

:func:`build` with :class:`BuildOptions` is what ``plan-report build`` runs; it returns an
:class:`ExitCode` and tells a reporter what happens through :class:`Event` values. The parts:
:mod:`~helpers.build.driver` (the run), :mod:`~helpers.build.tasks` (one report, picklable),
:mod:`~helpers.build.runner` (worker processes), :mod:`~helpers.build.cluster` (the same tasks on
a Dask cluster), :mod:`~helpers.build.kernels` (report kernels), :mod:`~helpers.build.zygote` and
:mod:`~helpers.build.provisioner` (kernels forked from a preloaded process),
:mod:`~helpers.build.inputs` (what a report depends on), :mod:`~helpers.build.release` (the whole
set published at once), :mod:`~helpers.build.manifest` and :mod:`~helpers.build.lock`.

The names below are loaded on first use, so that a kernel process, which imports
:mod:`~helpers.build.kernels` only, never loads the driver.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BuildOptions", "Event", "ExitCode", "build"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from helpers.build import driver

        return getattr(driver, name)
    raise AttributeError(f"module 'helpers.build' has no attribute {name!r}")
