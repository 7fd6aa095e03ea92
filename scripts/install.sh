#!/usr/bin/env bash
# Install everything HemoSight needs on a fresh Debian-like machine: Python venv with the
# project and its pinned dependencies, the browser app (npm ci + build) and, with
# --with-browser, Debian's Chromium for the end-to-end tests. Safe to re-run: each step
# is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WITH_BROWSER=0
[[ "${1:-}" == "--with-browser" ]] && WITH_BROWSER=1

stamp() { sha256sum "$@" 2>/dev/null | sha256sum | cut -c1-16; }

PYTHON=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "== creating .venv"
  "$PYTHON" -m venv .venv
fi
py_stamp=$(stamp pyproject.toml)
if [[ "$(cat .venv/.hemosight-stamp 2>/dev/null)" != "$py_stamp" ]]; then
  echo "== installing Python packages"
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -e ".[dev]"
  # OpenVINO's converter and NNCF send anonymous usage data by default; a lab tool must not. Vendor's opt-out:
  .venv/bin/opt_in_out --opt_out >/dev/null 2>&1 || echo "note: could not opt out of OpenVINO telemetry" >&2
  echo "$py_stamp" > .venv/.hemosight-stamp
fi

if [[ -f frontend/package.json ]]; then
  if ! command -v npm >/dev/null; then
    echo "npm is missing: install Node.js 20 or newer (apt-get install nodejs npm)" >&2
    exit 1
  fi
  js_stamp=$(stamp frontend/package-lock.json)
  if [[ "$(cat frontend/node_modules/.hemosight-stamp 2>/dev/null)" != "$js_stamp" ]]; then
    echo "== installing browser app packages (npm ci)"
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    echo "$js_stamp" > frontend/node_modules/.hemosight-stamp
  fi
  src_stamp=$(cd frontend && find src index.html package-lock.json vite.config.* -type f 2>/dev/null | sort | xargs sha256sum | sha256sum | cut -c1-16)
  if [[ ! -f frontend/dist/index.html || "$(cat frontend/dist/.hemosight-stamp 2>/dev/null)" != "$src_stamp" ]]; then
    echo "== building browser app"
    (cd frontend && npm run build --silent)
    echo "$src_stamp" > frontend/dist/.hemosight-stamp
  fi
fi

if [[ $WITH_BROWSER == 1 && ! -x /usr/bin/chromium ]]; then
  echo "== installing Debian's chromium for browser tests"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
echo "== installed in $ROOT/.venv"
