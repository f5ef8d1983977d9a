"""``make screenshot``: the README's picture of the plan 2 report's first screen.

Opens ``reports/plan-2.html`` (build it first: ``make report``) offline in Debian's Chromium at
1000 x 1400 px and writes ``docs/report-plan-2.png``. Run it whenever the report's first screen
changes, so the README shows the report as it is built now.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpers.publish.chromium import open_offline, wait_for_charts

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1000, "height": 1400}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python scripts/readme_screenshot.py", description=__doc__
    )
    parser.add_argument("--report", type=Path, default=ROOT / "reports" / "plan-2.html")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report-plan-2.png")
    args = parser.parse_args(argv)
    if not args.report.is_file():
        message = f"{args.report} がありません。先に make report で報告書を作ってください。"
        print(message, file=sys.stderr)
        return 1
    with open_offline(args.report, viewport=VIEWPORT) as off:
        wait_for_charts(off.page)
        off.page.screenshot(path=str(args.out))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
