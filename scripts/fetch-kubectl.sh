#!/usr/bin/env bash
# Extract Debian's kubectl 1.20.2 (package kubernetes-client) into .cache/kubectl-1.20.2 for the
# Kubernetes tests (test/harness/k8s/kubectl.ts). It is extracted, not installed: its
# /usr/bin/kubectl collides with other packages' kubectl (e.g. the Google Cloud SDK dispatcher).
# Quiet and idempotent; needs apt-get and dpkg-deb (Debian/Ubuntu).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/kubectl-1.20.2
[ -x "$dest/usr/bin/kubectl" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "fetch-kubectl: apt-get and dpkg-deb are needed to extract kubernetes-client" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
if ! (cd "$tmp" && apt-get download -qq kubernetes-client) >/dev/null 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  (cd "$tmp" && apt-get download -qq kubernetes-client) >/dev/null
fi
mkdir -p "$dest"
dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$dest"
"$dest/usr/bin/kubectl" version --client >/dev/null
echo "fetch-kubectl: kubectl 1.20.2 in $dest" >&2
