#!/usr/bin/env bash
# Make sure the browser tests can run: Debian's Chromium and Noto CJK fonts.
# As root it installs them; otherwise it says loudly which tests will not run and why.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the browser tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  exit $?
fi
cat >&2 <<MSG
########################################################################
#  ブラウザのテストを実行できません / Browser tests cannot run:
#  missing Debian packages: ${missing[*]}
#  Install them as root:  apt-get install -y chromium fonts-noto-cjk
#  tests/test_browser.py will be SKIPPED (CI sets PORTAL_REQUIRE_BROWSER=1
#  and fails instead).
########################################################################
MSG
exit 0
