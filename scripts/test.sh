#!/usr/bin/env bash
# Install everything the tests need, then run them all: bash scripts/test.sh [pytest args...]
#  - Debian packages: chromium for the browser tests, redis-server for the several-servers
#    tests (which start their own on a free port), postgresql for the SQL stores' tests and
#    the several-servers tests (which start a private server), sqlite3 for the documented backup
#    command, python3-venv where python3 lacks it, as root or with sudo.
#  - Two virtual environments in the checkout, each reused while its files are unchanged:
#    .venv from requirements.txt alone, which every server the tests start runs from (so a
#    package missing from requirements.txt fails a test), and .venv-test from
#    requirements-test.txt, whose Python runs pytest.
#  - Node packages: the socket.io JavaScript client for the wire tests (tests/js, from its lock file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/venv.sh

need_debs=($(venv_debian_packages))
command -v chromium >/dev/null || need_debs+=(chromium)
command -v redis-server >/dev/null || need_debs+=(redis-server)
# sqlite3's shell for the documented SQLite backup command (docs/storage.md).
command -v sqlite3 >/dev/null || need_debs+=(sqlite3)
# PostgreSQL for the durable stores' tests (tests/support/postgres.py starts a private server).
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need_debs+=(postgresql)
install_debian_packages "${need_debs[@]}"

ensure_venv .venv requirements.txt
ensure_venv .venv-test requirements-test.txt requirements.txt

if [ -f tests/js/package-lock.json ]; then
  # npm ci again only when the lock file changed since the last install.
  (cd tests/js && { cmp -s package-lock.json node_modules/.installed-lock 2>/dev/null \
    || { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock; }; })
fi

exec .venv-test/bin/python -m pytest "$@"
