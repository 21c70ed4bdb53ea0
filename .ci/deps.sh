#!/usr/bin/env bash
# Installs the Debian packages faultbench needs, only those missing.
# Runs as root, or through sudo; never prompts (CI has no stdin).
# Optional groups on the command line add to the set: `lint` (make lint).
set -euo pipefail

pkgs=(build-essential pkg-config libhwloc-dev libnuma-dev libjansson-dev libcmocka-dev
      gnuplot-nox libbenchmark-dev jq)
for group in "$@"; do
	case $group in
	lint) pkgs+=(cppcheck clang-tidy) ;;
	*) echo "deps: unknown group '$group'; known: lint" >&2; exit 2 ;;
	esac
done
missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 2; }
	sudo=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
