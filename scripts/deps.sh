#!/usr/bin/env bash
# Installs what weft needs to build, trace and test on Debian 12 (as root).
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git procps util-linux iproute2
  lttng-tools liblttng-ust-dev liblttng-ctl-dev
  babeltrace2 libbabeltrace2-dev
  libsqlite3-dev sqlite3
  libncurses-dev tmux
  libuv1-dev libglib2.0-dev libglib2.0-bin python3-gi
  lua5.1 lua-luv
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Cannot install packages: not root: missing=${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
