"""Tests for helpers.data.dates: Japanese era dates, fiscal years and their labels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers.data.dates import (
    MAX_YEAR,
    MIN_YEAR,
    JpDate,
    JpDateError,
    era_of,
    era_year_label,
    fiscal_year_label,
    fiscal_year_of,
    fiscal_year_short,
    parse_fiscal_year,
    parse_jp_date,
)

# --- accepted forms ------------------------------------------------------------------------

# text, precision, year, month, day, era, era_year
ACCEPTED = [
    ("昭和43年度", "fiscal_year", 1968, None, None, "昭和", 43),
    ("平成4年度", "fiscal_year", 1992, None, None, "平成", 4),
    ("平成20年度末", "fiscal_year_end", 2008, None, None, "平成", 20),
    ("平成16年3月", "month", 2004, 3, None, "平成", 16),
    ("平成23年3月11日", "day", 2011, 3, 11, "平成", 23),
    ("平成31年", "year", 2019, None, None, "平成", 31),
    ("令和元年", "year", 2019, None, None, "令和", 1),
    ("令和元年度", "fiscal_year", 2019, None, None, "令和", 1),
    ("H24.11", "month", 2012, 11, None, "平成", 24),
    ("H24.11.5", "day", 2012, 11, 5, "平成", 24),
    ("H24年度", "fiscal_year", 2012, None, None, "平成", 24),
    ("H24年度末", "fiscal_year_end", 2012, None, None, "平成", 24),
    ("H24年11月", "month", 2012, 11, None, "平成", 24),
    ("R1", "year", 2019, None, None, "令和", 1),
    ("S43", "year", 1968, None, None, "昭和", 43),
    ("T3", "year", 1914, None, None, "大正", 3),
    ("M40", "year", 1907, None, None, "明治", 40),
    ("Ｈ２４．１１", "month", 2012, 11, None, "平成", 24),
    ("h24.11", "month", 2012, 11, None, "平成", 24),
    ("Ｒ１", "year", 2019, None, None, "令和", 1),
    ("平成２３年１月", "month", 2011, 1, None, "平成", 23),
    ("  平成24年度\u3000", "fiscal_year", 2012, None, None, "平成", 24),
    ("平成 24 年 11 月", "month", 2012, 11, None, "平成", 24),
    ("\u337b24年度", "fiscal_year", 2012, None, None, "平成", 24),  # ㍻ ligature
    ("\u32ff元年5月1日", "day", 2019, 5, 1, "令和", 1),  # ㋿ ligature
    ("平成24/11/5", "day", 2012, 11, 5, "平成", 24),
    ("2012年度", "fiscal_year", 2012, None, None, None, None),
    ("2012年度末", "fiscal_year_end", 2012, None, None, None, None),
    ("2012年", "year", 2012, None, None, None, None),
    ("2012", "year", 2012, None, None, None, None),
    ("2011年1月", "month", 2011, 1, None, None, None),
    ("2011年1月31日", "day", 2011, 1, 31, None, None),
    ("2011-01", "month", 2011, 1, None, None, None),
    ("2011-01-31", "day", 2011, 1, 31, None, None),
    ("2011/1/31", "day", 2011, 1, 31, None, None),
    ("2011.1.31", "day", 2011, 1, 31, None, None),
    ("２０１１－０１－３１", "day", 2011, 1, 31, None, None),
]


@pytest.mark.parametrize(("text", "precision", "year", "month", "day", "era", "era_year"), ACCEPTED)
def test_accepted_forms(
    text: str,
    precision: str,
    year: int,
    month: int | None,
    day: int | None,
    era: str | None,
    era_year: int | None,
) -> None:
    parsed = parse_jp_date(text)
    assert (parsed.precision, parsed.year, parsed.month, parsed.day) == (
        precision,
        year,
        month,
        day,
    )
    assert (parsed.era, parsed.era_year) == (era, era_year)
    assert parsed.nominal is False
    assert parsed.text == text.strip()


# --- rejections ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("\u3000", "empty"),
        ("天保3年", "unknown era"),
        ("X24.11", "unknown era"),
        ("慶応4年度", "unknown era"),
        ("平成0年", "era year 0"),
        ("H0.4", "era year 0"),
        ("平成24年13月", "month must be 1..12"),
        ("2012-13", "month must be 1..12"),
        ("2012年0月", "month must be 1..12"),
        ("平成24年2月30日", "impossible date"),
        ("2011-02-29", "impossible date"),
        ("2011/4/31", "impossible date"),
        ("令和元年4月", "before the 令和 era began on 2019-05-01"),
        ("令和元年4月30日", "before the 令和 era began"),
        ("平成元年1月7日", "before the 平成 era began on 1989-01-08"),
        ("昭和元年12月24日", "before the 昭和 era began on 1926-12-25"),
        ("大正元年7月29日", "before the 大正 era began on 1912-07-30"),
        ("平成47年度", "typo"),
        ("昭和80年", "typo"),
        ("大正31年", "typo"),
        ("明治61年", "typo"),
        ("明治3年5月", "lunisolar"),
        ("明治5年12月31日", "lunisolar"),
        ("1867年", "year outside"),
        ("3000年度", "year outside"),
        ("令和999年", "year outside"),
        ("平成24年度頃", "not a recognised date form"),
        ("平成二十四年度", "not a recognised date form"),
        ("2011-01/31", "not a recognised date form"),
        ("20111", "not a recognised date form"),
        ("(2012)", "not a recognised date form"),
        ("平成24年度 (2013)", "does not name the same date"),
        ("平成23年1月 (2011年2月)", "does not name the same date"),
        ("平成24年度末 (2013年3月30日)", "does not name the same date"),
    ],
)
def test_rejected_forms(text: str, reason: str) -> None:
    with pytest.raises(JpDateError, match=reason) as caught:
        parse_jp_date(text)
    assert repr(text.strip()) in str(caught.value) or not text.strip()


def test_error_is_a_value_error_and_non_text_is_a_type_error() -> None:
    assert issubclass(JpDateError, ValueError)
    with pytest.raises(TypeError):
        parse_jp_date(2012)  # type: ignore[arg-type]


# --- era boundaries, nominal years ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "nominal"),
    [
        ("平成32年度", 2020, True),
        ("平成46年度", 2034, True),
        ("昭和64年度", 1989, True),
        ("昭和64年", 1989, False),
        ("昭和64年1月", 1989, False),
        ("昭和64年1月7日", 1989, False),
        ("昭和64年2月", 1989, True),
        ("昭和64年1月8日", 1989, True),
        ("昭和63年度末", 1988, False),
        ("昭和64年度末", 1989, True),
        ("平成31年度", 2019, False),
        ("平成31年度末", 2019, False),
        ("平成31年4月", 2019, False),
        ("平成31年4月30日", 2019, False),
        ("平成31年5月", 2019, True),
        ("平成31年5月1日", 2019, True),
        ("平成32年", 2020, True),
        ("平成元年1月", 1989, False),
        ("平成元年1月8日", 1989, False),
        ("令和元年5月", 2019, False),
        ("令和元年5月1日", 2019, False),
        ("昭和元年度", 1926, False),
        ("明治45年7月30日", 1912, False),
        ("大正元年7月30日", 1912, False),
        ("明治45年7月31日", 1912, True),
        ("大正15年12月25日", 1926, False),
        ("大正15年12月26日", 1926, True),
        ("明治元年", 1868, False),
        ("明治元年度", 1868, False),
        ("明治6年1月1日", 1873, False),
        ("R50", 2068, False),
    ],
)
def test_era_boundaries_and_nominal_years(text: str, year: int, nominal: bool) -> None:
    parsed = parse_jp_date(text)
    assert parsed.year == year
    assert parsed.nominal is nominal


def test_heisei_31_and_reiwa_1_fiscal_years_are_the_same() -> None:
    heisei, reiwa = parse_jp_date("平成31年度"), parse_jp_date("令和元年度")
    assert heisei.fiscal_year == reiwa.fiscal_year == 2019
    assert (heisei.start, heisei.end) == (reiwa.start, reiwa.end)
    assert parse_fiscal_year("平成31年度") == parse_fiscal_year("令和元年度") == 2019
    assert parse_jp_date("平成31年").year == parse_jp_date("令和元年").year == 2019


# --- source document cases -----------------------------------------------------------------


def test_source_document_cases() -> None:
    january = parse_jp_date("平成23年1月")
    assert january.fiscal_year == 2010
    assert era_year_label(january.fiscal_year) == "平成22年度"
    assert (january.start, january.end) == (date(2011, 1, 1), date(2011, 1, 31))

    fy_end = parse_jp_date("平成24年度末")
    assert (fy_end.start, fy_end.end) == (date(2013, 3, 31), date(2013, 3, 31))
    assert fy_end.fiscal_year == 2012

    formulated = parse_jp_date("平成21年3月")
    assert formulated.fiscal_year == 2008

    renewal = parse_jp_date("H24.11")
    assert renewal.precision == "month"
    assert (renewal.year, renewal.month) == (2012, 11)

    assert parse_jp_date("昭和43年度").fiscal_year == 1968
    assert parse_jp_date("平成21年10月").fiscal_year == 2009
    assert parse_fiscal_year("平成16年度") == 2004
    assert parse_fiscal_year("平成25年度") == 2013


# --- properties of JpDate ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("平成24年度", date(2012, 4, 1), date(2013, 3, 31)),
        ("平成24年度末", date(2013, 3, 31), date(2013, 3, 31)),
        ("平成23年1月", date(2011, 1, 1), date(2011, 1, 31)),
        ("2012年2月", date(2012, 2, 1), date(2012, 2, 29)),
        ("2012年12月", date(2012, 12, 1), date(2012, 12, 31)),
        ("平成31年", date(2019, 1, 1), date(2019, 12, 31)),
        ("平成23年3月11日", date(2011, 3, 11), date(2011, 3, 11)),
    ],
)
def test_start_and_end(text: str, start: date, end: date) -> None:
    parsed = parse_jp_date(text)
    assert (parsed.start, parsed.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "western", "label"),
    [
        ("平成23年1月", "2011年1月", "平成23年1月 (2011年1月)"),
        ("平成24年度", "2012年度", "平成24年度 (2012)"),
        ("平成24年度末", "2012年度末", "平成24年度末 (2013年3月31日)"),
        ("平成23年3月11日", "2011年3月11日", "平成23年3月11日 (2011年3月11日)"),
        ("令和元年", "2019年", "令和元年 (2019年)"),
        ("H24.11", "2012年11月", "平成24年11月 (2012年11月)"),
        ("R1", "2019年", "令和元年 (2019年)"),
        ("平成32年度", "2020年度", "平成32年度 (2020)"),
        ("2012年度", "2012年度", "平成24年度 (2012)"),
        ("2019年度", "2019年度", "令和元年度 (2019)"),
        ("2012年度末", "2012年度末", "平成24年度末 (2013年3月31日)"),
        ("1989年", "1989年", "平成元年 (1989年)"),
        ("2019-04", "2019年4月", "平成31年4月 (2019年4月)"),
        ("2019-05-01", "2019年5月1日", "令和元年5月1日 (2019年5月1日)"),
        ("1870-05-01", "1870年5月1日", "1870年5月1日"),
    ],
)
def test_western_and_label(text: str, western: str, label: str) -> None:
    parsed = parse_jp_date(text)
    assert parsed.western == western
    assert parsed.label == label


def test_calendar_year_has_two_fiscal_years() -> None:
    parsed = parse_jp_date("平成31年")
    with pytest.raises(JpDateError, match="two fiscal years"):
        _ = parsed.fiscal_year
    assert parsed.fiscal_years == (2018, 2019)
    assert parse_jp_date("平成24年度").fiscal_years == (2012, 2012)
    assert parse_jp_date("2013-03-31").fiscal_years == (2012, 2012)


def test_label_with_western_part_is_accepted() -> None:
    assert parse_jp_date("平成24年度 (2012)").year == 2012
    assert parse_jp_date("平成24年度（2012年度）").precision == "fiscal_year"
    assert parse_jp_date("平成24年度末 (2013年3月31日)").precision == "fiscal_year_end"
    assert parse_jp_date("平成23年1月 (2011年1月)").precision == "month"
    assert parse_jp_date("2011年1月 (平成23年1月)").era is None


def test_jpdate_rejects_inconsistent_fields() -> None:
    with pytest.raises(JpDateError):
        JpDate(text="x", precision="month", year=2012)
    with pytest.raises(JpDateError):
        JpDate(text="x", precision="fiscal_year", year=2012, month=4)
    with pytest.raises(JpDateError):
        JpDate(text="x", precision="day", year=2011, month=2, day=30)
    with pytest.raises(JpDateError):
        JpDate(text="x", precision="year", year=2012, era="平成")
    with pytest.raises(JpDateError):
        JpDate(text="x", precision="decade", year=2012)  # type: ignore[arg-type]


# --- parse_fiscal_year ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fy"),
    [
        ("平成16年度", 2004),
        ("H16", 2004),
        ("H16年度", 2004),
        ("2004", 2004),
        ("2004年度", 2004),
        ("令和元年度", 2019),
        ("平成25年度末", 2013),
        ("平成24年度 (2012)", 2012),
    ],
)
def test_parse_fiscal_year(text: str, fy: int) -> None:
    assert parse_fiscal_year(text) == fy


@pytest.mark.parametrize("text", ["平成16年3月", "H24.11", "2011-01-31", "平成23年3月11日"])
def test_parse_fiscal_year_rejects_months_and_days(text: str) -> None:
    with pytest.raises(JpDateError, match="fiscal year was expected"):
        parse_fiscal_year(text)


# --- fiscal years and eras of days ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (date(2011, 1, 1), 2010),
        (date(2011, 3, 31), 2010),
        (date(2011, 4, 1), 2011),
        (date(2011, 12, 31), 2011),
    ],
)
def test_fiscal_year_of(day: date, fy: int) -> None:
    assert fiscal_year_of(day) == fy


@pytest.mark.parametrize(
    ("day", "era"),
    [
        (date(1868, 1, 25), ("明治", 1)),
        (date(1868, 12, 31), ("明治", 1)),
        (date(1870, 1, 10), ("明治", 2)),
        (date(1870, 3, 1), ("明治", 3)),
        (date(1873, 1, 1), ("明治", 6)),
        (date(1912, 7, 29), ("明治", 45)),
        (date(1912, 7, 30), ("大正", 1)),
        (date(1926, 12, 24), ("大正", 15)),
        (date(1926, 12, 25), ("昭和", 1)),
        (date(1989, 1, 7), ("昭和", 64)),
        (date(1989, 1, 8), ("平成", 1)),
        (date(2019, 4, 30), ("平成", 31)),
        (date(2019, 5, 1), ("令和", 1)),
        (date(2100, 12, 31), ("令和", 82)),
    ],
)
def test_era_of(day: date, era: tuple[str, int]) -> None:
    assert era_of(day) == era


@pytest.mark.parametrize("day", [date(1868, 1, 24), date(1870, 2, 1), date(1872, 1, 25)])
def test_era_of_rejects_days_it_cannot_name(day: date) -> None:
    with pytest.raises(JpDateError):
        era_of(day)


@pytest.mark.parametrize(
    ("fy", "label", "short"),
    [
        (2012, "平成24年度 (2012)", "H24"),
        (2019, "令和元年度 (2019)", "R1"),
        (2020, "令和2年度 (2020)", "R2"),
        (1988, "昭和63年度 (1988)", "S63"),
        (1989, "平成元年度 (1989)", "H1"),
        (1968, "昭和43年度 (1968)", "S43"),
        (1926, "大正15年度 (1926)", "T15"),
        (1912, "明治45年度 (1912)", "M45"),
        (1868, "明治元年度 (1868)", "M1"),
    ],
)
def test_fiscal_year_labels(fy: int, label: str, short: str) -> None:
    assert fiscal_year_label(fy) == label
    assert fiscal_year_short(fy) == short
    assert era_year_label(fy) == label.split(" ")[0]


@pytest.mark.parametrize("fy", [MIN_YEAR - 1, MAX_YEAR + 1])
def test_fiscal_year_label_rejects_unsupported_years(fy: int) -> None:
    with pytest.raises(JpDateError):
        fiscal_year_label(fy)


# --- properties ----------------------------------------------------------------------------

days = st.dates(min_value=date(1926, 12, 25), max_value=date(2100, 12, 31))
fiscal_years = st.integers(min_value=MIN_YEAR, max_value=MAX_YEAR)


def _era_year_text(era_year: int) -> str:
    return "元" if era_year == 1 else str(era_year)


@given(days)
def test_day_in_its_era_round_trips(day: date) -> None:
    era, era_year = era_of(day)
    parsed = parse_jp_date(f"{era}{_era_year_text(era_year)}年{day.month}月{day.day}日")
    assert parsed.precision == "day"
    assert (parsed.start, parsed.end) == (day, day)
    assert (parsed.era, parsed.era_year, parsed.nominal) == (era, era_year, False)


@given(days)
def test_day_in_era_letter_form_round_trips(day: date) -> None:
    era, era_year = era_of(day)
    letter = {"昭和": "S", "平成": "H", "令和": "R"}[era]
    parsed = parse_jp_date(f"{letter}{era_year}.{day.month}.{day.day}")
    assert parsed.start == day
    assert parsed.era == era


@given(fiscal_years, st.sampled_from(["{fy}年度", "era"]))
def test_fiscal_year_start_and_end(fy: int, form: str) -> None:
    text = era_year_label(fy) if form == "era" else form.format(fy=fy)
    parsed = parse_jp_date(text)
    assert parsed.fiscal_year == fy
    assert fiscal_year_of(parsed.start) == fy
    assert fiscal_year_of(parsed.end) == fy
    assert parsed.start == date(fy, 4, 1)
    assert parsed.end == date(parsed.start.year + 1, parsed.start.month, 1) - timedelta(days=1)


@given(fiscal_years)
def test_fiscal_year_label_round_trips(fy: int) -> None:
    assert parse_fiscal_year(fiscal_year_label(fy)) == fy
    assert parse_fiscal_year(era_year_label(fy)) == fy
    assert parse_fiscal_year(fiscal_year_short(fy)) == fy


@given(st.integers(min_value=MIN_YEAR, max_value=MAX_YEAR), st.integers(1, 12), st.data())
def test_month_brackets_every_day(year: int, month: int, data: st.DataObject) -> None:
    parsed = parse_jp_date(f"{year}年{month}月")
    assert parsed.start == date(year, month, 1)
    assert (parsed.end + timedelta(days=1)).day == 1
    day = data.draw(st.dates(min_value=parsed.start, max_value=parsed.end))
    assert parsed.start <= day <= parsed.end
    assert fiscal_year_of(day) == parsed.fiscal_year
    assert day.replace(day=1) == parsed.start


@given(
    st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)),
    st.sampled_from(["fiscal_year", "fiscal_year_end", "year", "month", "day"]),
)
def test_label_parses_back_to_the_same_date(day: date, precision: str) -> None:
    text = {
        "fiscal_year": f"{day.year}年度",
        "fiscal_year_end": f"{day.year}年度末",
        "year": f"{day.year}年",
        "month": f"{day.year}-{day.month:02d}",
        "day": day.isoformat(),
    }[precision]
    parsed = parse_jp_date(text)
    again = parse_jp_date(parsed.label)
    assert (again.precision, again.start, again.end) == (precision, parsed.start, parsed.end)


def test_label_of_the_last_fiscal_year_end_parses_back() -> None:
    """2999年度末 is 3000-03-31: its label's western form lies one year past MAX_YEAR."""
    last = parse_jp_date("2999年度末")
    again = parse_jp_date(last.label)
    assert (again.precision, again.start, again.end) == (last.precision, last.start, last.end)


@pytest.mark.parametrize(
    ("text", "end", "shown"),
    [
        ("平成26年3月末", date(2014, 3, 31), "平成26年3月末"),  # common in published sheets
        ("平成26年3月末日", date(2014, 3, 31), "平成26年3月末日"),
        ("2014年2月末", date(2014, 2, 28), "2014年2月末"),
        ("平成24年度末現在", date(2013, 3, 31), "平成24年度末"),
        ("平成26年3月31日時点", date(2014, 3, 31), "平成26年3月31日"),
        ("平成32年度末", date(2021, 3, 31), "令和2年度末"),  # nominal: named in the era in force
        ("平成31年5月1日", date(2019, 5, 1), "令和元年5月1日"),
    ],
)
def test_as_of_forms_and_the_name_readers_see(text: str, end: date, shown: str) -> None:
    parsed = parse_jp_date(text)
    assert parsed.end == end
    assert parsed.display_text == shown
    assert parsed.text == text  # what was written is kept


def test_month_end_is_the_last_day_of_that_month() -> None:
    parsed = parse_jp_date("令和6年2月末")
    assert (parsed.precision, parsed.start, parsed.end) == (
        "day",
        date(2024, 2, 29),
        date(2024, 2, 29),
    )
    with pytest.raises(JpDateError):
        parse_jp_date("平成26年13月末")
