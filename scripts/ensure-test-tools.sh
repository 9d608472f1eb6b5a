#!/usr/bin/env bash
# Make sure every test can run: Debian's Chromium and Noto CJK fonts (browser tests) and nginx (the production setup).
# As root it installs them; otherwise it says loudly which tests will not run and why.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit $?
fi
cat >&2 <<MSG
########################################################################
#  一部のテストを実行できません / Some tests cannot run:
#  missing Debian packages: ${missing[*]}
#  Install them as root:  apt-get install -y chromium fonts-noto-cjk nginx
#  tests/test_browser.py and tests/test_proxy.py will be SKIPPED (CI sets
#  PORTAL_REQUIRE_BROWSER=1 and PORTAL_REQUIRE_NGINX=1 and fails instead).
########################################################################
MSG
exit 0
