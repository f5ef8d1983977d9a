#!/usr/bin/env bash
# Make sure the Debian packages the browser tests and PDF export need are present:
# chromium (headless, driven by Playwright), fonts-noto-cjk (Japanese glyphs), and
# poppler-utils / fontconfig (the tests read PDFs back and ask which font draws Japanese), and
# libreoffice-calc-nogui (a test saves a returned evaluation workbook again with LibreOffice,
# as a department might).
# Installs them when missing and allowed (root with apt-get); otherwise says what to install.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v fc-match >/dev/null 2>&1 || missing+=(fontconfig)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
if ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then  # no -q: SIGPIPE + pipefail
  missing+=(fonts-noto-cjk)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Missing system packages: ${missing[*]}" >&2
echo "Install them, then run the command again:" >&2
echo "    sudo apt-get install -y ${missing[*]}" >&2
exit 1
