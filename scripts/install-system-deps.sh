#!/usr/bin/env bash
# Installs the Debian packages the local stack and the tests run for real: Redis, NGINX, Chromium, wrk,
# the real node's runc, CNI plugins and iptables, and what `kbp image build` builds images with:
# buildah (run by runc), mmdebstrap for the bases and catatonit, the pause image's binary.
# Idempotent: does nothing when every command is already on PATH.
set -euo pipefail
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v nginx >/dev/null || need+=(nginx-light)
command -v chromium >/dev/null || need+=(chromium)
command -v wrk >/dev/null || need+=(wrk)
# The real node (kbp cluster up --real-node): runc for containerd, the CNI plugins, iptables for
# kube-proxy. Tested with bookworm's runc 1.1.5 and containernetworking-plugins 1.1.1.
[ -x /usr/sbin/runc ] || need+=(runc)
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null || need+=(iptables)
command -v ipset >/dev/null || need+=(ipset)  # kube-router's NetworkPolicy firewall, in tests
# kbp image build (docs/images.md).
command -v buildah >/dev/null || need+=(buildah)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
[ -x /usr/bin/catatonit ] || need+=(catatonit)
# Each real node's kubelet, containerd and CoreDNS take inotify instances; the suite runs several
# nodes, and a kernel default of 128 per user runs out (kubelet: "too many open files"). As kind
# advises; not persistent across reboots.
if [ "$(id -u)" -eq 0 ] && [ "$(sysctl -n fs.inotify.max_user_instances)" -lt 1024 ]; then
  sysctl -qw fs.inotify.max_user_instances=1024
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
