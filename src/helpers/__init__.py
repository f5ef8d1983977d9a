"""Evaluation reports for municipal IT promotion plans (情報化推進計画).

The package is a pipeline; each subpackage imports only from the ones before it
(``tests/test_layers.py`` checks it)::

    data  →  views  →  publish  →  report  →  build | explore | lab  →  cli

* :mod:`helpers.data`: table contracts, reading CSV / workbook files, checks, 和暦 dates;
* :mod:`helpers.views`: metrics that only compute, the sentences that describe them, charts,
  the chart theme, display labels and number formatting;
* :mod:`helpers.publish`: HTML pieces, the nbconvert export, the Vega bundle, PDF, open data,
  the report set and atomic files;
* :mod:`helpers.report`: what the report notebooks show, one call per section;
* :mod:`helpers.build`: the build of a report set (tasks, kernels, workers, lock, manifest);
* :mod:`helpers.explore`: the analysts' tables and quick charts (``from helpers import explore``);
* :mod:`helpers.lab`: the analysts' JupyterLab (settings, the kernels' extension, working copies);
* :mod:`helpers.cli`: the ``plan-report`` command.

Importing ``helpers`` itself imports none of them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("plan-report")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
