#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the pinned Go module beside this script into a per-user cache,
# only when they are missing, and prints the directory that holds them.
#   src/test/kube/build.sh            -> prints e.g. /root/.cache/proxyfleet/kube/1.37.2
# A cold build takes several minutes on 2 cores; a warm one is a no-op.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(awk '$1=="k8s.io/kubernetes"{sub(/^v/,"",$2); print $2}' "$here/go.mod" | head -n1)"
[ -n "$version" ] || version="$(grep -oE 'k8s.io/kubernetes v[0-9.]+' "$here/go.mod" | head -n1 | sed 's/.* v//')"
cache="${PROXYFLEET_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proxyfleet/kube}/$version"
# The go.sum hash names the build: a change to the pinned module rebuilds.
stamp="$(sha256sum "$here/go.mod" "$here/go.sum" "$here/cmd/etcd/main.go" | sha256sum | cut -c1-16)"
if [ -x "$cache/kube-apiserver" ] && [ -x "$cache/etcd" ] && [ "$(cat "$cache/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$cache"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go not found: install Go 1.26 to build the test kube-apiserver" >&2
  exit 3
fi
mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
(
  cd "$here"
  export CGO_ENABLED=0
  go build -trimpath -ldflags='-s -w' -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver
  go build -trimpath -ldflags='-s -w' -o "$tmp/etcd" ./cmd/etcd
) >&2
mv -f "$tmp/kube-apiserver" "$tmp/etcd" "$cache/"
echo "$stamp" > "$cache/.stamp"
echo "built kube-apiserver and etcd $version in $(( $(date +%s) - start )) s" >&2
echo "$cache"
