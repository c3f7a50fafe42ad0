#!/bin/sh
# Installs the Debian packages geoworks needs, only those that are missing:
#   - redis-server: the multi-machine job queue backend, and its tests.
#   - bzip2: pandarus-compatible .json.bz2 result files.
#   - libgdal-dev: only when gdal-async's prebuilt binary cannot be downloaded (no internet).
#     The project .npmrc sets shared_gdal, so gdal-async then builds against this GDAL in a few
#     minutes instead of compiling its bundled GDAL for hours.
# Builds of native modules also need python3, make and g++.
# Safe to run again: it does nothing when everything is there.
set -eu

missing=""
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing="$missing $1"; }

need redis-server
need bzip2
if ! command -v python3 >/dev/null 2>&1; then missing="$missing python3"; fi
if ! command -v make >/dev/null 2>&1; then missing="$missing make"; fi
if ! command -v g++ >/dev/null 2>&1; then missing="$missing g++"; fi

# gdal-async downloads its prebuilt binary from GitHub when it can; check whether we can.
if ! command -v gdal-config >/dev/null 2>&1; then
  if [ "${GEOWORKS_FORCE_SYSTEM_GDAL:-}" = "1" ] ||
    ! node -e "fetch('https://github.com',{method:'HEAD',signal:AbortSignal.timeout(4000)}).then(()=>process.exit(0),()=>process.exit(1))" 2>/dev/null; then
    need libgdal-dev
  fi
fi

if [ -z "$missing" ]; then
  echo "setup: system packages present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: missing packages:$missing" >&2
  echo "setup: this is not a Debian-like system; install their equivalents by hand." >&2
  exit 1
fi

if [ "$(id -u)" = "0" ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "setup: missing Debian packages:$missing" >&2
  echo "setup: run as root: apt-get install -y$missing" >&2
  exit 1
fi

echo "setup: installing Debian packages:$missing (apt-get, a minute or two)"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine.
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "setup: installed$missing"
