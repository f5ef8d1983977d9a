"""Returned evaluation workbooks are hostile input too: broken or oversized ones are refused.

``plan-report round collect`` reads workbooks that come back from departments by e-mail. A
truncated or malformed sheet, an XML entity bomb, or a workbook that unzips to gigabytes must
be refused with a message naming the file: no traceback, no memory blow-up, the data folder
unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from corpus import ROOT, sheet_part, workbook_parts, write_parts

from helpers import cli
from helpers.data.evaluation_workbook import SHEET_ITEMS

EXAMPLE = ROOT / "data" / "example-city"
AS_OF = "令和7年度末"


def state(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def huge_sheet(xml: bytes) -> bytes:
    """The sheet with 300 MB of rows: small once zipped, huge once unpacked."""
    head, _, _ = xml.partition(b"<sheetData>")
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>"
    return head + b"<sheetData>" + row * 300_000 + b"</sheetData></worksheet>"


def entity_bomb(xml: bytes) -> bytes:
    entities = b'<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY b%d "%s">' % (i, (b"&b%d;" % (i - 1) if i else b"&a;") * 10) for i in range(8)
    )
    body = xml.split(b"?>", 1)[-1].replace(b"<sheetData>", b"<sheetData>&b7;", 1)
    return b'<?xml version="1.0"?><!DOCTYPE w [' + entities + b"]>" + body


EDITS: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda xml: xml[: len(xml) // 2],
    "not_xml": lambda xml: b"\x00\x01 not xml",
    "entity_bomb": entity_bomb,
    "unzips_to_300_mb": huge_sheet,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_broken_returned_workbook_is_refused(
    edit: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "example-city"
    shutil.copytree(EXAMPLE, data)
    sent = tmp_path / "sent"
    start = ["round", "start", AS_OF, "--data", str(data), "--out", str(sent)]
    assert cli.main([*start, "--deadline", "令和8年5月29日"]) == 0
    capsys.readouterr()
    target = sorted(sent.glob("*.xlsx"))[0]
    parts = workbook_parts(target)
    name = sheet_part(parts, SHEET_ITEMS)
    parts[name] = EDITS[edit](parts[name])
    write_parts(target, parts)
    before = state(data)

    started = time.monotonic()
    code = cli.main(["round", "collect", str(sent), "--data", str(data), "--apply"])
    elapsed = time.monotonic() - started
    text = capsys.readouterr()
    output = text.out + text.err
    assert code == 1
    assert elapsed < 60
    assert "Traceback" not in output
    assert target.name in output
    assert "\x1b" not in output
    assert state(data) == before
    if edit == "unzips_to_300_mb":
        assert "展開すると大きすぎます" in output  # refused before anything is unpacked
