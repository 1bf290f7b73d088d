#!/usr/bin/env bash
# The comparison runner (tools/run_comparisons.py: usage, and what it does) under the project's Python; kept as the
# documented entry point.
#   e.g. KERAS_BACKEND=tensorflow nohup tools/run_comparisons.sh ../shared/data/chest_xray cpu fixmatch patient > runs/comparisons.log 2>&1 &
exec python3 "$(dirname "$0")/run_comparisons.py" "$@"
