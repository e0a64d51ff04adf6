#!/usr/bin/env bash
# Install everything the tests need, then run them all: bash scripts/test.sh [pytest args...]
#  - Debian packages: chromium for the browser tests, redis-server for the several-servers
#    tests (which start their own on a free port), as root or with sudo.
#  - Python packages: requirements-test.txt.
#  - Node packages: the socket.io JavaScript client for the wire tests (tests/js, from its lock file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_debs=()
command -v chromium >/dev/null || need_debs+=(chromium)
command -v redis-server >/dev/null || need_debs+=(redis-server)
if [ ${#need_debs[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "test.sh: installing Debian packages: ${need_debs[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >&2
fi

python3 -m pip install -q --disable-pip-version-check -r requirements-test.txt

if [ -f tests/js/package-lock.json ]; then
  # npm ci again only when the lock file changed since the last install.
  (cd tests/js && { cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null \
    || { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock; }; })
fi

exec python3 -m pytest "$@"
