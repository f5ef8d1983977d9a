"""Views of the plan data: metrics (numbers only), sentences, charts, theme, labels.

:mod:`~helpers.views.metrics` computes frames and never writes prose;
:mod:`~helpers.views.sentences` turns figures into Japanese sentences;
:mod:`~helpers.views.charts` returns Altair charts (never displayed or saved here);
:mod:`~helpers.views.theme` registers the one chart theme; :mod:`~helpers.views.labels` holds
every display string; :mod:`~helpers.views.formatting` formats numbers for readers.
"""

from helpers.views import charts, formatting, labels, metrics, sentences, theme

__all__ = ["charts", "formatting", "labels", "metrics", "sentences", "theme"]
