# Sourced by scripts/demo.sh and scripts/test.sh: Debian packages and the checkout's virtual
# environments, built with the first python3 on PATH (Debian's own, pyenv's or python.org's).
#
#   install_debian_packages NAME...   apt-get install, as root or with sudo
#   venv_debian_packages              print the Debian packages the environments still need to build, if any
#   ensure_venv DIR REQUIREMENTS...   build DIR from the requirements files, or reuse it

PYTHON=${PYTHON:-python3}

install_debian_packages() {
  [ $# -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null; then
    echo "$0: needs the Debian packages $* (no apt-get here: install their equivalents)" >&2
    return 1
  fi
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "$0: installing Debian packages: $*" >&2
  $sudo apt-get update -qq
  # env, not a plain assignment: sudo drops the caller's environment.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

venv_debian_packages() {
  # Debian ships the venv module with python3 but leaves out ensurepip, which venv needs
  # to put pip into the environment; python3-venv brings it.
  "$PYTHON" -c 'import ensurepip' 2>/dev/null || echo python3-venv
  # PyICU (requirements.txt) comes as source only: it builds against ICU's headers, which
  # pkg-config finds, and Python's, with a C++ compiler.
  pkg-config --exists icu-i18n 2>/dev/null || echo libicu-dev pkg-config
  command -v g++ >/dev/null || echo g++
  "$PYTHON" -c 'import os, sysconfig; assert os.path.exists(sysconfig.get_path("include") + "/Python.h")' 2>/dev/null \
    || echo python3-dev
}

requirements_hash() {
  cat "$@" | sha256sum | cut -d' ' -f1
}

ensure_venv() {
  local dir=$1
  shift
  local want
  want=$(requirements_hash "$@")
  # Reuse only a whole environment built from these very files: one without pip was cut
  # short (or made without ensurepip), and a stale one may keep a package the files dropped.
  if [ -x "$dir/bin/pip" ] && "$dir/bin/python" -c '' 2>/dev/null \
      && [ "$(cat "$dir/.requirements.sha256" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  install_debian_packages $(venv_debian_packages)
  if [ -n "$(venv_debian_packages)" ]; then
    echo "$0: cannot build a virtual environment with $PYTHON: it still needs $(venv_debian_packages)" >&2
    return 1
  fi
  echo "$0: building $dir from $* (once, and again when they change: it downloads the packages)" >&2
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  local args=()
  local file
  for file in "$@"; do args+=(-r "$file"); done
  "$dir/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}"
  # Written last, so an install that fails or is interrupted is rebuilt on the next run.
  echo "$want" >"$dir/.requirements.sha256"
}
