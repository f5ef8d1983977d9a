"""Plan data: table contracts, reading files, checks and Japanese dates.

``load_city(folder)`` reads and validates one data folder and returns :class:`CityData`;
``inspect_folder(folder)`` returns every problem instead of raising.
"""

from helpers.data.city import (
    CityData,
    DataValidationError,
    Inspection,
    Scale,
    inspect_folder,
    load_city,
    validate_folder,
)
from helpers.data.problems import Problem, format_problems, summary
from helpers.data.workbook import csv_to_workbook

__all__ = [
    "CityData",
    "DataValidationError",
    "Inspection",
    "Problem",
    "Scale",
    "csv_to_workbook",
    "format_problems",
    "inspect_folder",
    "load_city",
    "summary",
    "validate_folder",
]
