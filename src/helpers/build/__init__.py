"""The build of a report set: validate, run each notebook in a fresh kernel, export, publish.

:func:`build` with :class:`BuildOptions` is what ``plan-report build`` runs; it returns an
:class:`ExitCode` and tells a reporter what happens through :class:`Event` values. The parts:
:mod:`~helpers.build.driver` (the run), :mod:`~helpers.build.tasks` (one report, picklable),
:mod:`~helpers.build.runner` (worker processes), :mod:`~helpers.build.kernels` (report kernels and
their preloading), :mod:`~helpers.build.inputs` (what a report depends on),
:mod:`~helpers.build.manifest` and :mod:`~helpers.build.lock`.
"""

from helpers.build.driver import BuildOptions, Event, ExitCode, build

__all__ = ["BuildOptions", "Event", "ExitCode", "build"]
