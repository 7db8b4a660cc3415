#!/usr/bin/env bash
# yosys generic synthesis of every synthesizable top listed in a targets file
# (default rtl/synth_targets.txt; `make synth-check` also runs the slow list
# rtl/synth_targets_slow.txt). Fails if any of them does not synthesize or
# infers a latch.
# Usage: scripts/synth_check.sh [targets-file]
# Line format: <top> [<param>=<value> ...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Sources: every RTL manifest (rtl/**/*.f, scripts/rtl_files.sh).
srcs=$(scripts/rtl_files.sh --all | sort -u | tr '\n' ' ')
incs=$(scripts/rtl_files.sh --incdirs --all | sort -u | sed 's/^/-I/' | tr '\n' ' ')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
while read -r top params; do
  [[ -z "$top" || "$top" == \#* ]] && continue
  chp=""
  for kv in $params; do chp="$chp -set ${kv%%=*} ${kv#*=}"; done
  n=$((n+1))
  log="$tmp/$top.$n.log"
  if ! yosys -q -l "$log" -p "read_verilog -sv $incs $srcs; ${chp:+chparam $chp $top;} synth -top $top; select -assert-none t:\$dlatch t:\$_DLATCH_* t:\$_DLATCH?_* ; stat" >/dev/null 2>&1; then
    echo "synth-check: $top ($params) FAILED (latch or synthesis error)"; tail -20 "$log"; fail=1
  else
    echo "synth-check: $top ($params) ok, no latches"
  fi
done < "${1:-rtl/synth_targets.txt}"
[[ $fail -eq 0 ]] || exit 1
echo "synth-check: $n targets synthesized with no latches"
