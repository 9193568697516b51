#!/usr/bin/env bash
# Align a side module's shared dependencies (client-go, apimachinery, grpc, otel, x/...) to the
# versions ../go.mod's control plane builds, so the Go build cache compiles each package once for
# both: a package is a cache hit only when it and every package below it are at the same version.
# Raises by `require`; lowers by `replace`, except modules matching a KEEP prefix. Only raising
# makes packages shareable: under -trimpath a compile's cache key hashes the *required*
# module@version (cmd/go buildActionID), so a replaced-down module, and all above it, still
# compiles again. A side module that needs newer versions than ../go.mod (node/: grpc, otel, cbor
# under containerd 2.4) shares only once ../go.mod is raised. Then check it builds, run its tests.
#
#   bash testenv/align.sh netpol
#   bash testenv/align.sh dex
#   RAISE_ONLY=1 bash testenv/align.sh node   # raise only; leave newer modules as they are
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$HERE/$1; shift
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
# The control plane's graph is read with -mod=readonly: -mod=mod would add go.sum lines to
# ../go.sum (the go.mod hashes of modules pruned from its graph), and so change its cache key.
mods() { (cd "$1" && GOFLAGS=$2 go list -m -f '{{.Path}} {{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}' all) | sort; }
kept() { local k; for k in "$@"; do [ -n "$k" ] && case $p in "$k"*) return 0 ;; esac; done; return 1; }
for pass in 1 2 3; do
  self=$(cd "$DIR" && go list -m)
  args=()
  # Modules in both graphs at different versions: "path side-version main-version".
  while read -r p side main; do
    [ "$p" = "$self" ] && continue
    kept "$@" && continue
    # MVS: a require raises a lower version and is a no-op on a higher one, which a replace lowers.
    if [ "$(printf '%s\n%s\n' "$side" "$main" | sort -V | tail -1)" = "$main" ]; then
      args+=("-require=$p@$main")
    elif [ "${RAISE_ONLY:-0}" != 1 ]; then
      args+=("-replace=$p=$p@$main")
    fi
  done < <(join <(mods "$DIR" -mod=mod) <(mods "$HERE" -mod=readonly) | awk 'NF == 3 && $2 != $3')
  [ ${#args[@]} -eq 0 ] && break
  echo "align.sh: pass $pass: ${#args[@]} edits" >&2
  (cd "$DIR" && go mod edit "${args[@]}" && go mod tidy)
done
