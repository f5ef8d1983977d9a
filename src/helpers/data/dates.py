"""Japanese dates: era years (和暦), fiscal years (年度) and their western forms.

Plans and their evaluations date things at different precisions: a fiscal year
("平成24年度"), the end of a fiscal year ("平成24年度末"), a calendar year ("平成31年"),
a month ("平成23年1月", "H24.11") or a day ("平成23年3月11日"). `parse_jp_date` reads all
of them, in the era or the western calendar, and keeps the precision that was written.

Rules and the decisions behind them
-----------------------------------
* Fiscal year (年度): 1 April to 31 March, named after the year it starts in
  (平成24年度 = FY2012 = 2012-04-01..2013-03-31). The April-March year is applied to
  every year, although the national April-March fiscal year only dates from 1886.
* Eras, first and last day (inclusive, Gregorian):
  明治 1868-01-25..1912-07-30, 大正 1912-07-30..1926-12-25, 昭和 1926-12-25..1989-01-07,
  平成 1989-01-08..2019-04-30, 令和 2019-05-01..(in force).
  The Meiji era was proclaimed on 1868-10-23 and counted back to the first day of that
  lunisolar year (慶応4年1月1日 = 1868-01-25); this module uses 1868-01-25 as Meiji's first
  day. On 1912-07-30 and 1926-12-25 the era changed during the day, so both names are
  valid for those days; `era_of` gives the new era.
* Japan used a lunisolar calendar until 明治5年12月2日 (Gregorian 1873-01-01 was
  明治6年1月1日). Months and days written in 明治元年..明治5年 are lunisolar and are
  rejected rather than converted. `era_of` answers for Gregorian days of 1868-1872 only
  where the era year is certain (the lunisolar new year fell between about 21 January
  and 20 February; days from 19 January to 21 February of 1869-1872 raise).
* An era-written date must overlap its era: 令和元年4月 and 平成元年1月7日 are errors, but
  令和元年度 (FY2019, which began on 2019-04-01 under Heisei) is accepted because the
  fiscal year contains days of Reiwa; it is the name the government used for FY2019.
  平成31年度 is accepted too: both give fiscal_year 2019 (and start/end are the same).
* Era years past the end of their era are written by documents drafted before the
  change (平成32年度 = FY2020, 昭和64年度 = FY1989, 平成31年5月1日). They are accepted at
  every precision, including days, and flagged `nominal=True`, as long as the era year is
  at most 15 past the era's last year (平成46年 is accepted, 平成47年 is taken for a typo).
  A date is nominal when it begins after the era's last day; fiscal_year_end (年度末) is
  judged as its whole fiscal year, so 昭和63年度末 (1989-03-31) is not nominal.
* Western years are limited to 1868..2999.
* Input is NFKC-normalised (full-width digits and letters, ㍻, ㋿, full-width brackets),
  whitespace anywhere is ignored, and the era letters M/T/S/H/R may be lower case.
  A display label such as "平成24年度 (2012)" is accepted too: the bracketed part must
  name the same date as the part before it, which decides the precision.
* A calendar year (precision "year") spans two fiscal years: `JpDate.fiscal_year` raises
  for it and `JpDate.fiscal_years` gives both. `parse_fiscal_year` reads a bare year
  (H16, 2004) as the fiscal year it names, as fiscal-year columns are usually written.
* `fiscal_year_label` names a fiscal year after the era in force on 1 May of its first
  year. That gives the names offices use: the Heisei and Reiwa changes fell on 8 January
  and 1 May, so FY1989 is 平成元年度 and FY2019 令和元年度, while FY1926 stays 大正15年度
  (Showa began on 25 December). `JpDate.label` derives the era of a western-written
  fiscal or calendar year by the same rule, and of a month or day by its first day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

__all__ = [
    "ERA_NAMES",
    "MAX_YEAR",
    "MIN_YEAR",
    "JpDate",
    "JpDateError",
    "Precision",
    "era_of",
    "era_year_label",
    "fiscal_year_label",
    "fiscal_year_of",
    "fiscal_year_short",
    "parse_fiscal_year",
    "parse_jp_date",
]

Precision = Literal["fiscal_year", "fiscal_year_end", "year", "month", "day"]
PRECISIONS: tuple[Precision, ...] = ("fiscal_year", "fiscal_year_end", "year", "month", "day")

MIN_YEAR = 1868
MAX_YEAR = 2999
NOMINAL_YEARS_LIMIT = 15
GREGORIAN_ADOPTED = date(1873, 1, 1)


class JpDateError(ValueError):
    """A text that is not an acceptable Japanese or western date, with the reason."""


@dataclass(frozen=True)
class _Era:
    """One Japanese era: name, letter, first and last day (inclusive) and year offset."""

    name: str
    letter: str
    first_day: date
    last_day: date | None
    offset: int

    @property
    def last_year(self) -> int | None:
        """The era year of the era's last day (None while the era is in force)."""
        return None if self.last_day is None else self.last_day.year - self.offset


_ERAS: tuple[_Era, ...] = (
    _Era("明治", "M", date(1868, 1, 25), date(1912, 7, 30), 1867),
    _Era("大正", "T", date(1912, 7, 30), date(1926, 12, 25), 1911),
    _Era("昭和", "S", date(1926, 12, 25), date(1989, 1, 7), 1925),
    _Era("平成", "H", date(1989, 1, 8), date(2019, 4, 30), 1988),
    _Era("令和", "R", date(2019, 5, 1), None, 2018),
)
_ERA_BY_NAME = {era.name: era for era in _ERAS}
_ERA_BY_LETTER = {era.letter: era for era in _ERAS}
ERA_NAMES: tuple[str, ...] = tuple(era.name for era in _ERAS)

_EXAMPLES = "平成24年度, 平成24年度末, 平成23年1月, 平成23年3月11日, H24.11, 2012年度, 2011-01-31"

_CORE = re.compile(
    r"""
    (?:(?P<era>明治|大正|昭和|平成|令和|[MTSHR])(?P<era_year>元|\d{1,3})|(?P<western>\d{4}))
    (?:
        (?P<fiscal>年度)(?P<fiscal_end>末)?
      | 年(?:(?P<month_k>\d{1,2})月(?:(?P<day_k>\d{1,2})日|(?P<month_end>末日?))?)?
      | (?P<sep>[./-])(?P<month_s>\d{1,2})(?:(?P=sep)(?P<day_s>\d{1,2}))?
    )?
    """,
    re.VERBOSE,
)
_AS_OF_SUFFIX = re.compile(r"(?:現在|時点)$")
"""Words evaluation dates are often written with ("平成24年度末現在"): they change nothing."""
_WITH_ALTERNATIVE = re.compile(r"(?P<main>[^()]+)(?:\((?P<alt>[^()]+)\))?")
_ERA_LIKE = re.compile(r"(?P<prefix>[^\W\d_]+?)(?:元|\d)")


def _error(text: str, reason: str) -> JpDateError:
    """Build the error for `text` with a bilingual reason."""
    return JpDateError(f"{text!r}: {reason}")


def fiscal_year_of(d: date) -> int:
    """Return the fiscal year (April-March) containing `d`, named by its start year."""
    return d.year if d.month >= 4 else d.year - 1


def _month_end(year: int, month: int) -> date:
    """Return the last day of the given month."""
    first_of_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_of_next - timedelta(days=1)


def _span(precision: Precision, year: int, month: int | None, day: int | None) -> tuple[date, date]:
    """Return the first and last day covered by a date of the given precision."""
    if precision == "fiscal_year":
        return date(year, 4, 1), date(year + 1, 3, 31)
    if precision == "fiscal_year_end":
        return date(year + 1, 3, 31), date(year + 1, 3, 31)
    if precision == "year":
        return date(year, 1, 1), date(year, 12, 31)
    if month is None:
        raise JpDateError(f"{precision} precision needs a month")
    if precision == "month":
        return date(year, month, 1), _month_end(year, month)
    if day is None:
        raise JpDateError("day precision needs a day")
    return date(year, month, day), date(year, month, day)


def _era_year_text(era_year: int) -> str:
    """Write an era year as documents do: 元 for the first year, digits otherwise."""
    return "元" if era_year == 1 else str(era_year)


def _suffix(precision: Precision, month: int | None, day: int | None) -> str:
    """Return what follows the year number in a date of the given precision."""
    if precision == "fiscal_year":
        return "年度"
    if precision == "fiscal_year_end":
        return "年度末"
    if precision == "year":
        return "年"
    if precision == "month":
        return f"年{month}月"
    return f"年{month}月{day}日"


def _western_day(d: date) -> str:
    """Write a day in the western calendar, e.g. 2013年3月31日."""
    return f"{d.year}年{d.month}月{d.day}日"


@dataclass(frozen=True)
class JpDate:
    """A date as written in a plan, at the precision it was written with.

    `year` is the western year (for fiscal_year and fiscal_year_end: the year the fiscal
    year starts in). `era`/`era_year` are set when the text used an era, else None.
    `nominal` is True when the era year lies past the end of its era (平成32年度).
    """

    text: str
    precision: Precision
    year: int
    month: int | None = None
    day: int | None = None
    era: str | None = None
    era_year: int | None = None
    nominal: bool = False

    def __post_init__(self) -> None:
        """Check that the fields describe one date of the stated precision."""
        if self.precision not in PRECISIONS:
            raise JpDateError(f"unknown precision {self.precision!r}")
        if (self.month is not None) != (self.precision in ("month", "day")):
            raise JpDateError(f"month given or missing for {self.precision} precision")
        if (self.day is not None) != (self.precision == "day"):
            raise JpDateError(f"day given or missing for {self.precision} precision")
        if (self.era is None) != (self.era_year is None):
            raise JpDateError("era and era_year must be given together")
        if self.era is not None and self.era not in _ERA_BY_NAME:
            raise JpDateError(f"unknown era {self.era!r}")
        try:
            _span(self.precision, self.year, self.month, self.day)
        except ValueError as exc:
            raise JpDateError(f"impossible date in {self!r}: {exc}") from None

    @property
    def start(self) -> date:
        """First day covered (平成24年度 -> 2012-04-01)."""
        return _span(self.precision, self.year, self.month, self.day)[0]

    @property
    def end(self) -> date:
        """Last day covered (平成24年度 -> 2013-03-31; 平成23年1月 -> 2011-01-31)."""
        return _span(self.precision, self.year, self.month, self.day)[1]

    @property
    def fiscal_year(self) -> int:
        """The fiscal year this date lies in.

        A calendar year (precision "year") spans two fiscal years, so it raises
        JpDateError; use `fiscal_years` for it.
        """
        if self.precision in ("fiscal_year", "fiscal_year_end"):
            return self.year
        if self.precision == "year":
            raise JpDateError(
                f"{self.text!r}: 暦年は{self.year - 1}年度と{self.year}年度にまたがります "
                "(a calendar year spans two fiscal years; use fiscal_years)"
            )
        return fiscal_year_of(self.start)

    @property
    def fiscal_years(self) -> tuple[int, int]:
        """The first and last fiscal year touched (2019年 -> (2018, 2019))."""
        if self.precision in ("fiscal_year", "fiscal_year_end"):
            return self.year, self.year
        return fiscal_year_of(self.start), fiscal_year_of(self.end)

    @property
    def western(self) -> str:
        """The date in the western calendar: 2011年1月, 2012年度, 2012年度末, 2019年."""
        return f"{self.year}{_suffix(self.precision, self.month, self.day)}"

    @property
    def era_text(self) -> str | None:
        """The date in era form as written, normalised (H24.11 -> 平成24年11月)."""
        if self.era is None or self.era_year is None:
            return None
        suffix = _suffix(self.precision, self.month, self.day)
        return f"{self.era}{_era_year_text(self.era_year)}{suffix}"

    @property
    def display_text(self) -> str:
        """The date as a reader should see it: as written (without a trailing 現在 or 時点),
        except an era year past the end of its era (平成32年度末), which is named in the era in
        force (令和2年度末)."""
        if self.nominal:
            return self._derived_era_text() or self.western
        return _AS_OF_SUFFIX.sub("", self.text.strip()) or self.text

    @property
    def label(self) -> str:
        """Both forms for display: 平成23年1月 (2011年1月), 平成24年度 (2012).

        The era part is the one written; for western text it is derived (fiscal and
        calendar years by the 1 May rule of `fiscal_year_label`, months and days by the era
        of their first day). Months and days before 1873 get no era part (the era calendar
        was lunisolar then), nor does any date whose era cannot be named: the western form
        alone is returned.
        """
        if self.precision == "fiscal_year":
            western = str(self.year)
        elif self.precision == "fiscal_year_end":
            western = _western_day(self.end)
        else:
            western = self.western
        era_part = self.era_text or self._derived_era_text()
        return western if era_part is None else f"{era_part} ({western})"

    def _derived_era_text(self) -> str | None:
        """Era form of a western-written date, or None if no era can be named."""
        by_may_first = self.precision in ("fiscal_year", "fiscal_year_end", "year")
        if not by_may_first and self.start < GREGORIAN_ADOPTED:
            return None
        anchor = date(self.year, 5, 1) if by_may_first else self.start
        try:
            era, era_year = era_of(anchor)
        except JpDateError:
            return None
        suffix = _suffix(self.precision, self.month, self.day)
        return f"{era}{_era_year_text(era_year)}{suffix}"


def era_of(d: date) -> tuple[str, int]:
    """Return the era name and era year in force on day `d` (新しい元号 on change days)."""
    era = next((e for e in reversed(_ERAS) if d >= e.first_day), None)
    if era is None:
        raise JpDateError(
            f"{d.isoformat()}: 明治より前の日付です (before the Meiji era, 1868-01-25)"
        )
    if d >= GREGORIAN_ADOPTED or d.year == era.first_day.year:
        return era.name, d.year - era.offset
    if (d.month, d.day) < (1, 19):
        return era.name, d.year - era.offset - 1
    if (d.month, d.day) > (2, 21):
        return era.name, d.year - era.offset
    raise JpDateError(
        f"{d.isoformat()}: 太陰太陽暦の新年前後のため明治の年を決められません "
        "(near the lunisolar new year; the Meiji year of this day is not determined here)"
    )


def reader_label(d: JpDate) -> str:
    """A date for readers, era first with the western form in full-width brackets, as every
    page shows dates: "令和8年12月1日（2026年12月1日）", "平成24年度（2012）"."""
    return d.label.replace(" (", "（").replace(")", "）")


def written_date(day: date, *, with_day: bool = True) -> str:
    """A day as a Japanese document writes it: 令和6年4月1日, or 令和6年4月 without the day
    (a date Excel stored for a cell typed 令和6年4月 and formatted without its day)."""
    era, year = era_of(day)
    text = f"{era}{_era_year_text(year)}年{day.month}月"
    return f"{text}{day.day}日" if with_day else text


def _normalise(text: str) -> str:
    """NFKC-normalise, drop all whitespace and upper-case era letters."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).upper()


def _unrecognised(text: str, core: str) -> JpDateError:
    """Explain why `core` did not match: an unknown era, or an unknown form."""
    match = _ERA_LIKE.match(core)
    prefix = match.group("prefix") if match else None
    if prefix is not None and prefix not in _ERA_BY_NAME and prefix not in _ERA_BY_LETTER:
        known = "/".join(ERA_NAMES) + " (M/T/S/H/R)"
        return _error(text, f"未知の元号 {prefix!r} です (unknown era; known: {known})")
    return _error(text, f"日付として読めません (not a recognised date form; e.g. {_EXAMPLES})")


def _parse_core(text: str, core: str, max_year: int = MAX_YEAR) -> JpDate:
    """Parse one date without a bracketed alternative; `text` is kept as written.

    *max_year* is raised by one for the bracketed western form of a label: the last day of
    fiscal year 2999 (2999年度末) is 3000-03-31.
    """
    match = _CORE.fullmatch(core)
    if match is None:
        raise _unrecognised(text, core)
    groups = match.groupdict()
    month_text = groups["month_k"] or groups["month_s"]
    day_text = groups["day_k"] or groups["day_s"]
    precision: Precision
    if groups["fiscal"]:
        precision = "fiscal_year_end" if groups["fiscal_end"] else "fiscal_year"
    elif day_text:
        precision = "day"
    elif month_text:
        precision = "month"
    else:
        precision = "year"
    month = int(month_text) if month_text else None
    day = int(day_text) if day_text else None
    if groups["month_end"] and month is not None:
        precision = "day"  # 3月末: the last day of that month

    era: _Era | None = None
    era_year: int | None = None
    if groups["era"]:
        era = _ERA_BY_NAME.get(groups["era"]) or _ERA_BY_LETTER[groups["era"]]
        era_year = 1 if groups["era_year"] == "元" else int(groups["era_year"])
        if era_year == 0:
            raise _error(
                text, "元号の0年はありません (era year 0 does not exist; the first is 元年)"
            )
        year = era.offset + era_year
    else:
        year = int(groups["western"])

    if not MIN_YEAR <= year <= max_year:
        raise _error(text, f"{year}年は対象外です (year outside {MIN_YEAR}..{MAX_YEAR})")
    if month is not None and not 1 <= month <= 12:
        raise _error(text, f"{month}月はありません (month must be 1..12)")
    if groups["month_end"] and month is not None and 1 <= month <= 12:
        day = _month_end(year, month).day
    try:
        start, end = _span(precision, year, month, day)
    except ValueError as exc:
        raise _error(text, f"存在しない日付です (impossible date: {exc})") from None

    nominal = False
    if era is not None and era_year is not None:
        nominal = _check_era(text, era, era_year, precision, start, end)
    return JpDate(
        text=text,
        precision=precision,
        year=year,
        month=month,
        day=day,
        era=None if era is None else era.name,
        era_year=era_year,
        nominal=nominal,
    )


def _check_era(
    text: str, era: _Era, era_year: int, precision: Precision, start: date, end: date
) -> bool:
    """Check an era-written date against its era; return whether it is nominal."""
    if era.name == "明治" and era_year <= 5 and precision in ("month", "day"):
        raise _error(
            text,
            "明治5年以前の月日は太陰太陽暦のため変換しません "
            "(months and days before 1873 are lunisolar and are not converted)",
        )
    if precision == "fiscal_year_end":
        start, end = _span("fiscal_year", start.year - 1, None, None)
    if end < era.first_day:
        raise _error(
            text,
            f"{era.name}は{era.first_day.isoformat()}に始まりました "
            f"(this date is before the {era.name} era began on {era.first_day.isoformat()})",
        )
    if era.last_day is None or start <= era.last_day:
        return False
    last_year = era.last_day.year - era.offset
    if era_year > last_year + NOMINAL_YEARS_LIMIT:
        raise _error(
            text,
            f"{era.name}は{last_year}年まで、"
            f"{NOMINAL_YEARS_LIMIT}年を超えて後の年は誤記とみなします "
            f"(the {era.name} era ended in its year {last_year}; more than "
            f"{NOMINAL_YEARS_LIMIT} years past the end is taken for a typo)",
        )
    return True


def _agrees(main: JpDate, alt: JpDate) -> bool:
    """Whether a bracketed alternative names the same date as the main part."""
    if main.precision == "fiscal_year" and alt.precision in ("year", "fiscal_year"):
        return alt.year == main.year
    if main.precision == "fiscal_year_end" and alt.precision == "day":
        return alt.start == main.end
    return (alt.start, alt.end) == (main.start, main.end)


def parse_jp_date(text: str) -> JpDate:
    """Parse a Japanese or western date, keeping the precision written.

    Accepts e.g. 昭和43年度, 平成20年度末, 平成16年3月, 平成23年3月11日, 令和元年, H24.11,
    H24.11.5, H24年度, R1, 2012年度, 2012年度末, 2011年1月, 2011-01-31, 2011/1/31 and labels
    such as "平成24年度 (2012)". Raises JpDateError with the reason otherwise.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_jp_date expects str, got {type(text).__name__}")
    written = text.strip()
    normalised = _AS_OF_SUFFIX.sub("", _normalise(text))
    if not normalised:
        raise _error(text, "日付が空です (empty date)")
    match = _WITH_ALTERNATIVE.fullmatch(normalised)
    if match is None:
        raise _unrecognised(written, normalised)
    parsed = _parse_core(written, match.group("main"))
    alt_text = match.group("alt")
    if alt_text is not None:
        alternative = _parse_core(written, alt_text, max_year=MAX_YEAR + 1)
        if not _agrees(parsed, alternative):
            raise _error(
                written,
                f"括弧内の{alt_text}が{match.group('main')}と一致しません "
                "(the bracketed form does not name the same date)",
            )
    return parsed


def parse_fiscal_year(text: str) -> int:
    """Parse a fiscal year: 平成16年度, H16, 2004, 2004年度 -> 2004.

    A bare year (H16, 2004, 平成16年) is read as the fiscal year it names, as fiscal-year
    columns are usually written; 年度末 gives its fiscal year. Months and days raise.
    """
    parsed = parse_jp_date(text)
    if parsed.precision in ("month", "day"):
        raise _error(
            parsed.text,
            f"年度ではありません({parsed.precision}の精度です) "
            f"(a fiscal year was expected, got {parsed.precision} precision)",
        )
    return parsed.year


def _fiscal_year_era(fy: int) -> tuple[str, int]:
    """The era and era year naming fiscal year `fy`: the era in force on 1 May."""
    if not MIN_YEAR <= fy <= MAX_YEAR:
        raise JpDateError(f"{fy}年度は対象外です (fiscal year outside {MIN_YEAR}..{MAX_YEAR})")
    return era_of(date(fy, 5, 1))


def era_year_label(fy: int) -> str:
    """Era name of a fiscal year: 2012 -> 平成24年度, 2019 -> 令和元年度."""
    era, era_year = _fiscal_year_era(fy)
    return f"{era}{_era_year_text(era_year)}年度"


def fiscal_year_label(fy: int) -> str:
    """Display label of a fiscal year in both forms: 2012 -> 平成24年度 (2012)."""
    return f"{era_year_label(fy)} ({fy})"


def fiscal_year_short(fy: int) -> str:
    """Short era form of a fiscal year: 2012 -> H24, 2019 -> R1."""
    era, era_year = _fiscal_year_era(fy)
    return f"{_ERA_BY_NAME[era].letter}{era_year}"
