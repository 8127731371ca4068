#!/usr/bin/env bash
# Sets up a Debian machine to build, run and test k8ts: the Debian packages it needs, npm dependencies, build.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(etcd-server containerd runc crun containernetworking-plugins docker-registry umoci skopeo busybox-static iproute2 iptables)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

echo "setup: installing npm packages"
npm ci --no-fund --no-audit
echo "setup: building"
npm run build
echo "setup: done. Start k8ts with: ./bin/k8ts.js up"
