#!/usr/bin/env bash
# Prepares a Debian or Ubuntu host to be a multiarch runner, as root: buildah, git, git-lfs, Java, qemu-user-static and the
# binfmt_misc handlers that let a foreign RUN step execute. Safe to run again.
#   sudo runners/setup.sh
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends buildah git git-lfs openjdk-17-jre-headless qemu-user-static binfmt-support \
  ca-certificates
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
update-binfmts --enable >/dev/null 2>&1 || true
echo "binfmt handlers:"; ls /proc/sys/fs/binfmt_misc | grep '^qemu-' | tr '\n' ' '; echo
install -d -m 0750 /var/lib/multiarch-runner /etc/multiarch
echo "Now put a runner configuration in /etc/multiarch/runner.yaml (see runners/*.yaml), the jar in"
echo "/opt/multiarch/multiarch.jar, and enable runners/multiarch-runner.service."
