"""Evaluation reports for municipal IT promotion plans (情報化推進計画)."""

__version__ = "0.1.0"
