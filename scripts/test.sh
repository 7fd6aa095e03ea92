#!/usr/bin/env bash
# Install everything (including Debian's chromium), then run the whole test suite:
# lint + types, Python tests, browser app checks and the end-to-end tests in real Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --with-browser
export PATH="$PWD/.venv/bin:$PATH" TF_CPP_MIN_LOG_LEVEL=2

echo "== lint and types (Python)"
ruff check hemosight models backend worker scripts tests benchmarks
ruff format --check hemosight models backend worker scripts tests benchmarks
mypy
PYTHONPATH=".:models:backend:worker${PYTHONPATH:+:$PYTHONPATH}" lint-imports   # layer contracts in .importlinter

echo "== Python tests"
python -m pytest -q -p no:cacheprovider

if [[ -f frontend/package.json ]]; then
  echo "== browser app: generated API types, lint (with the .tsx size limit), types, component tests"
  # openapi.json is the backend's schema (tests/backend/test_openapi_committed.py, above); its types too:
  (cd frontend && npm run check-api --silent)
  (cd frontend && npm run lint --silent && npm run typecheck --silent && npm test --silent)
  echo "== end-to-end tests in Chromium"
  (cd frontend && npm run e2e --silent)
fi
