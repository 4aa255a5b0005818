#!/usr/bin/env bash
# Optional: installs the PyTorch reference for `./jdlm bench train --vs-torch` and nothing else.
# jdlm never depends on PyTorch; this is only the yardstick its training throughput is held against.
#
# Debian's python3-torch (1.13.x) calls the generic BLAS interface (libblas.so.3). Debian's default
# provider is the reference BLAS, about 50x slower than OpenBLAS, so this also installs OpenBLAS
# and makes update-alternatives select it for libblas.so.3 and liblapack.so.3.
# Idempotent: running it again changes nothing that is already in place.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)

need=()
for p in python3-torch libopenblas0-pthread; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if (( ${#need[@]} )); then
  echo "installing: ${need[*]}"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${need[@]}"
else
  echo "python3-torch and libopenblas0-pthread are already installed"
fi

# Point the BLAS/LAPACK alternatives at OpenBLAS (pthread flavour).
for lib in libblas.so.3 liblapack.so.3; do
  name="$lib-$arch"
  target=$(update-alternatives --list "$name" 2>/dev/null | grep -m1 'openblas-pthread' || true)
  if [[ -z "$target" ]]; then
    echo "warning: no OpenBLAS alternative for $name; torch will use whatever provides it" >&2
    continue
  fi
  current=$(readlink -f "/etc/alternatives/$name" 2>/dev/null || true)
  if [[ "$current" != "$(readlink -f "$target")" ]]; then
    $SUDO update-alternatives --set "$name" "$target"
  fi
  echo "$name -> $target"
done

/usr/bin/python3 -c 'import torch; print("torch", torch.__version__, "ok")'
