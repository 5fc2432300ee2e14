#!/usr/bin/env bash
# A private Docker daemon for tests and local image builds, with everything
# under one folder and no network of its own: no bridge, no iptables rules;
# builds and containers use --network host, so traffic stays on loopback.
#
#   scripts/docker.sh start DIR        start dockerd (data, sockets, logs in DIR);
#                                      prints `export DOCKER_HOST=unix://DIR/docker.sock`
#   scripts/docker.sh stop DIR         stop that dockerd (by its PID) and its containers
#   scripts/docker.sh base-image DIR   make the debian:bookworm-slim image from Debian's
#                                      packages (debootstrap minbase, cached in DIR/rootfs.tar)
#
# Needs root, docker.io and debootstrap (scripts/setup.sh). Exit code 3 from
# `start` means dockerd could not start here (the log's tail is printed).
set -euo pipefail

usage() {
  sed -n '2,12p' "$0" >&2
  exit 2
}

[ "$#" -eq 2 ] || usage
cmd=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock="$dir/docker.sock"
export DOCKER_HOST="unix://$sock"

dockerd_pid() {
  local pid
  pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/cmdline" 2>/dev/null; then
    printf '%s\n' "$pid"
  fi
}

start() {
  if [ -n "$(dockerd_pid)" ]; then
    echo "docker.sh: a dockerd already runs for $dir (pid $(dockerd_pid))" >&2
    exit 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "docker.sh: dockerd is not installed (apt-get install docker.io; scripts/setup.sh does it)" >&2
    exit 3
  fi
  # A short exec-root: containerd's socket paths must stay under 108 bytes.
  local exec_root
  exec_root=$(mktemp -d /tmp/wsd.XXXXXX)
  printf '%s\n' "$exec_root" >"$dir/exec-root"
  rm -f "$sock" "$dir/docker.pid"
  # Containers may ask for up to the daemon's own open-file limit (Compose's
  # ulimits: nofile 65536); lift it like docker.service does (LimitNOFILE).
  ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  # setsid: the daemon survives the caller's process group (ctest kills it
  # on timeout; `stop` below is what ends it).
  setsid dockerd \
    --data-root "$dir/root" \
    --exec-root "$exec_root" \
    --host "unix://$sock" \
    --pidfile "$dir/docker.pid" \
    --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --storage-driver overlay2 \
    --log-level warn \
    </dev/null >"$dir/dockerd.log" 2>&1 &
  local i
  for i in $(seq 1 120); do
    if docker version >/dev/null 2>&1; then
      echo "export DOCKER_HOST=$DOCKER_HOST"
      return 0
    fi
    if ! kill -0 "$!" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  echo "docker.sh: dockerd did not start (waited ${i}x0.5 s); tail of $dir/dockerd.log:" >&2
  tail -n 15 "$dir/dockerd.log" >&2 || true
  stop >/dev/null 2>&1 || true
  exit 3
}

stop() {
  local pid i
  pid=$(dockerd_pid)
  if [ -n "$pid" ]; then
    # Containers first (they would outlive a killed daemon's shims otherwise).
    docker ps -q 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1 || true
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "docker.sh: dockerd $pid did not stop in 30 s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  local exec_root
  exec_root=$(cat "$dir/exec-root" 2>/dev/null || true)
  if [ -n "$exec_root" ] && [ -d "$exec_root" ]; then
    # Leftover mounts (netns, overlay) block the removal; unmount them first.
    grep -F " $exec_root" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$exec_root" || true
  fi
  grep -F " $dir/root" /proc/self/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -f "$dir/exec-root" "$sock" "$dir/docker.pid"
  echo "docker.sh: stopped"
}

# The Debian mirror this machine's apt already uses (deb822 or one-line format).
apt_mirror() {
  local m=""
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    m=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list)
  fi
  printf '%s\n' "${m:-http://deb.debian.org/debian}"
}

base_image() {
  local tar="$dir/rootfs.tar"
  if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    if [ ! -s "$tar" ]; then
      local mirror rootfs
      mirror=$(apt_mirror)
      rootfs=$(mktemp -d "$dir/rootfs.XXXXXX")
      echo "docker.sh: debootstrap --variant=minbase bookworm from $mirror" >&2
      debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
        tail -n 20 "$dir/debootstrap.log" >&2
        rm -rf "$rootfs"
        exit 1
      }
      # Like the official slim image: no apt cache, no docs.
      rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
      tar -C "$rootfs" -cf "$tar.tmp" .
      mv -f "$tar.tmp" "$tar"
      rm -rf "$rootfs"
    fi
    docker import --change 'CMD ["bash"]' "$tar" debian:bookworm-slim >/dev/null
  fi
  echo "docker.sh: base image debian:bookworm-slim $(docker image inspect --format '{{.Id}}' debian:bookworm-slim)" >&2
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  base-image) base_image ;;
  *) usage ;;
esac
