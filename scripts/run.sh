#!/usr/bin/env bash
# Install everything, then start HemoSight (backend + worker + browser app) on the embedded
# default store (SQLite + local files under ~/.hemosight). Extra arguments go to `hemosight serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
exec .venv/bin/hemosight serve "$@"
