#!/usr/bin/env bash
# Installs the Debian packages opencloser builds with, only those that are missing.
# Non-interactive; needs root (or sudo) the first time on a fresh Debian 12 machine.
set -euo pipefail
packages=(g++ cmake make pkg-config ccache tzdata
  libcaf-dev libboost-dev libsimdjson-dev libspdlog-dev catch2 libcli11-dev
  libsqlite3-dev libssl-dev libtomlplusplus-dev libpcre2-dev libhowardhinnant-date-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
