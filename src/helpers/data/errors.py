"""Errors about what the user gave (a data folder, a parameter), told briefly in notebooks.

:class:`InputError` is the base of every such error (``DataValidationError`` of
:mod:`helpers.data.city`, ``ReportParameterError`` of :mod:`helpers.report.common`,
``ConfigError`` of :mod:`helpers.publish.reportset`).
In a notebook (IPython), such an error shows as a heading and its Japanese message, without the
25–45 lines of Python traceback that say nothing to an analyst; ``%tb`` in the next cell shows
the whole traceback. Command-line tools print the message the same way (``str(error)``).
"""

from __future__ import annotations

import traceback

#: The last line of the short form: how to see everything.
FULL_TRACEBACK_HINT = "(プログラム内部の詳しい経過は、次のセルで %tb を実行すると表示されます)"
_RED_BOLD = "\x1b[1;31m"
_RESET = "\x1b[0m"


class InputError(ValueError):
    """A problem in the user's input, with a message that says what to change."""

    #: The heading of the short form in notebooks.
    heading = "入力に問題があります"

    def _render_traceback_(self) -> list[str]:
        """IPython's hook: the short form first; the full traceback when asked again (``%tb``)."""
        if getattr(self, "_told_briefly", False):
            return _full_traceback(self)
        self._told_briefly = True
        return [f"{_RED_BOLD}{self.heading}{_RESET}", *str(self).splitlines(), FULL_TRACEBACK_HINT]


def _full_traceback(error: BaseException) -> list[str]:
    """The whole traceback, as IPython formats it when it can."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            return shell.InteractiveTB.structured_traceback(type(error), error, error.__traceback__)
    except ImportError:  # pragma: no cover - IPython is always there in a notebook
        pass
    return traceback.format_exception(type(error), error, error.__traceback__)
