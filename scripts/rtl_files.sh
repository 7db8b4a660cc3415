#!/usr/bin/env bash
# Flattens RTL manifests (.f files) into file or include-folder lists, one
# per line, relative to the repository root, each listed once.
# Usage: scripts/rtl_files.sh [--incdirs] (--all | <manifest.f>...)
#   --all   every manifest under rtl/ (rtl/**/*.f): all of kgmac's RTL
# Manifest format (the same rules as cmake/kg_verilator.cmake):
#   rtl/top/kg_fifo.v    a source file, relative to the repository root
#   +incdir+<dir>        an include folder, relative to the repository root
#   -f <manifest.f>      the lines of another manifest
#   // ...               a comment; blank lines are ignored
# Anything else, a missing file or a manifest nested deeper than 8 levels
# is an error (non-zero status, one line on stderr).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
want=files
if [[ "${1:-}" == "--incdirs" ]]; then want=incdirs; shift; fi
if [[ "${1:-}" == "--all" && $# -eq 1 ]]; then
  shopt -s globstar nullglob
  set -- rtl/**/*.f
  [[ $# -ge 1 ]] || { echo "rtl_files: no RTL manifest under rtl/" >&2; exit 1; }
fi
[[ $# -ge 1 ]] || { echo "rtl_files: usage: rtl_files.sh [--incdirs] (--all | <manifest.f>...)" >&2; exit 2; }

declare -A seen=()
walk() {
  local mf="$1" depth="$2" line
  [[ $depth -le 8 ]] || { echo "rtl_files: $mf: manifests nested too deep (a cycle?)" >&2; exit 1; }
  [[ -f "$mf" ]] || { echo "rtl_files: no such manifest: $mf" >&2; exit 1; }
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%//*}"
    line="${line//[[:space:]]/}"
    [[ -z "$line" ]] && continue
    case "$line" in
      +incdir+*)
        local d="${line#+incdir+}"
        [[ -d "$d" ]] || { echo "rtl_files: $mf: no such include folder: $d" >&2; exit 1; }
        if [[ $want == incdirs && -z "${seen[i:$d]:-}" ]]; then seen[i:$d]=1; echo "$d"; fi ;;
      -f*)
        walk "${line#-f}" $((depth + 1)) ;;
      *.v|*.sv)
        [[ -f "$line" ]] || { echo "rtl_files: $mf: no such file: $line" >&2; exit 1; }
        if [[ $want == files && -z "${seen[f:$line]:-}" ]]; then seen[f:$line]=1; echo "$line"; fi ;;
      *)
        echo "rtl_files: $mf: cannot read line '$line'" >&2; exit 1 ;;
    esac
  done < "$mf"
}
for m in "$@"; do walk "$m" 0; done
