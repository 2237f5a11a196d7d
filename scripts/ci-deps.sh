#!/usr/bin/env bash
# Install the Debian packages the test suite needs, when missing. Quiet and idempotent: nothing is
# fetched (not even `apt-get update`) when every package is already installed.
#   scripts/ci-deps.sh            # the default set below
#   scripts/ci-deps.sh pkg ...    # just these
# Services the packages ship (sshd, postgresql) are not started: tests run their own instances.
set -euo pipefail

DEFAULT_PACKAGES=(
  openssh-server   # sshd for the SSH runner tests (test/harness/sshd.ts)
  openssh-client   # ssh-keygen for test keys
  iproute2         # ip netns / veth / bridge for per-host network namespaces
  procps           # pgrep/ps used by the runner tests
  rsync
  postgresql
  chromium
  openssl          # self-signed certificates for the load balancer's TLS test
  util-linux       # unshare/nsenter for rootless replica networks (src/core/serve/netns)
  python3          # a web server inside test pods (Kubernetes ports as Services)
)
# The AWS CLI is the second client the AWS test peer is checked with; any install of it will do.
command -v aws >/dev/null 2>&1 || DEFAULT_PACKAGES+=(awscli)
if [ "$#" -gt 0 ]; then packages=("$@"); else packages=("${DEFAULT_PACKAGES[@]}"); fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ci-deps: missing packages (${missing[*]}) and no apt-get to install them" >&2
  exit 1
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "ci-deps: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
fi

log=$(mktemp -t ci-deps.XXXXXX.log)
policy=/usr/sbin/policy-rc.d
cleanup_policy=0
# Keep package scripts from starting system services (sshd on :22, postgresql) on this machine.
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy"
  cleanup_policy=1
fi
finish() {
  if [ "$cleanup_policy" -eq 1 ]; then "${SUDO[@]}" rm -f "$policy"; fi
  rm -f "$log"
}
trap finish EXIT

echo "ci-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${SUDO[@]}" apt-get update -qq &&
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; } >"$log" 2>&1; then
  echo "ci-deps: apt-get failed; last lines:" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
