#!/usr/bin/env bash
# Install the server into .venv and start the demo: bash scripts/demo.sh [flask run args...]
#  - .venv is built from requirements.txt alone (the run environment), and reused while that
#    file is unchanged; Debian's python3-venv is installed first where it is missing.
#  - Extra arguments go to `flask run` (--port 8080, --debug); FLASK_RUN_HOST and FLASK_RUN_PORT
#    work too. The demo serves one machine (http://127.0.0.1:5000/); for the internet, run
#    gunicorn (the README's "Production").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/venv.sh

ensure_venv .venv requirements.txt
exec .venv/bin/flask --app app run "$@"
