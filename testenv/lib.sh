# Sourced by every build script here (`. lib.sh NAME WHAT`): one environment for each Go build,
# and one way to fill a cache directory. NAME prefixes the log; WHAT names what Go builds.
# shellcheck shell=bash

export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off
unset GOFLAGS                              # callers' GOFLAGS would change the binaries unseen
# Every module's `go build` takes the same flags, so a package they share compiles once. No DWARF:
# the links strip it anyway (-ldflags -w), so the binaries are the same, and the compiler skips
# that work (measured in README.md). Not in the cache keys for that reason.
GO_BUILD=(go build -trimpath -buildvcs=false -gcflags=all=-dwarf=false)
CACHE_ROOT=${KBP_CACHE:-$HOME/.cache/kbp}
# Go's tarball install is not always on a non-login shell's PATH (CI runs one).
[ -x /usr/local/go/bin/go ] && case ":$PATH:" in *:/usr/local/go/bin:*) ;; *) PATH=$PATH:/usr/local/go/bin ;; esac

LOG_NAME=$1
log() { echo "$LOG_NAME: $*" >&2; }
command -v go >/dev/null || { log "go not found: $2 built with Go 1.26 (https://go.dev/dl/)"; exit 1; }

# modver MODULE [GO.MOD]: the version a go.mod requires, without a `go` call (a cache hit stays fast).
modver() { sed -n "s|^[[:space:]]*$1 \(v[^ ]*\).*|\1|p" "${2:-go.mod}" | head -1; }

# cached_build OUT COMPLETE BUILD: print OUT if `COMPLETE` finds it whole; else run `BUILD TMP`
# once, under a lock (a second caller waits, then finds OUT whole instead of compiling the same
# packages beside it), into a scratch directory renamed to OUT at the end, so a killed build never
# looks complete. Builds unused for 30 days and scratch directories a killed build left are dropped.
cached_build() {
  local out=$1 complete=$2 build=$3 root
  root=$(dirname "$out")
  if "$complete"; then touch "$out"; echo "$out"; return 0; fi
  mkdir -p "$root"
  exec 9>"$root/.lock"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
  if "$complete"; then touch "$out"; echo "$out"; return 0; fi
  CACHED_BUILD_TMP=$(mktemp -d "$root/.build-XXXXXX")
  trap 'rm -rf "$CACHED_BUILD_TMP"' EXIT
  "$build" "$CACHED_BUILD_TMP"
  rm -rf "$out"
  mv "$CACHED_BUILD_TMP" "$out"
  trap - EXIT
  find "$root" -mindepth 1 -maxdepth 1 -type d -mtime +30 ! -path "$out" -name '????????????????' -exec rm -rf {} +
  find "$root" -mindepth 1 -maxdepth 1 -type d -mtime +1 -name '.build-*' -exec rm -rf {} +
  echo "$out"
}
