#!/usr/bin/env bash
# Install the Debian packages kgmac needs, and only those that are missing.
# Usage: scripts/deps.sh [extra-package ...]
# As root: runs `apt-get update` once, then `apt-get install -y --no-install-recommends`.
# Not root: prints the exact command to run and exits 1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wanted=$(grep -v '^\s*#' "$here/packages.txt" | awk 'NF{print $1}')
wanted="$wanted $*"
missing=()
for p in $wanted; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "kgmac: missing Debian packages: ${missing[*]}" >&2
  echo "kgmac: run as root:  apt-get update && $cmd" >&2
  exit 1
fi
echo "kgmac: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
$cmd
