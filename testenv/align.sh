#!/usr/bin/env bash
# Align a side module's shared dependencies (client-go, apimachinery, grpc, otel, x/...) to the
# versions ../go.mod's control plane builds, so the Go build cache compiles each package once for
# both: a package is a cache hit only when it and every package below it are at the same version.
# Raises by `require`; lowers by `replace`, except modules matching a KEEP prefix (ones the side
# module's own code needs newer, e.g. containerd's api). Then check it builds and its tests pass.
#
#   bash testenv/align.sh node github.com/containerd/ github.com/sirupsen/logrus github.com/miekg/dns github.com/coredns/
#   bash testenv/align.sh netpol
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$HERE/$1; shift
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
mods() { (cd "$1" && go list -m -f '{{.Path}} {{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}' all) | sort; }
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
    else
      args+=("-replace=$p=$p@$main")
    fi
  done < <(join <(mods "$DIR") <(mods "$HERE") | awk 'NF == 3 && $2 != $3')
  [ ${#args[@]} -eq 0 ] && break
  echo "align.sh: pass $pass: ${#args[@]} edits" >&2
  (cd "$DIR" && go mod edit "${args[@]}" && go mod tidy)
done
