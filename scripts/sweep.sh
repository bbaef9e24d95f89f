#!/usr/bin/env bash
# A long seed sweep of one scenario, for the figures the protocol READMEs report:
#   scripts/sweep.sh scenarios/raft-sweep.json 10000
# It stops at the first violation and prints the command that replays it; the last line of
# stdout is the JSON summary (runs, passed, violations, firstFailingSeed, unknownSeeds).
set -euo pipefail
cd "$(dirname "$0")/.."
scenario="${1:?usage: scripts/sweep.sh SCENARIO.json [SEEDS]}"
seeds="${2:-10000}"
[ -f dist/src/cli/main.js ] || npm run build
exec node bin/synod.js sim --scenario "$scenario" --seeds "1..$seeds" --json
