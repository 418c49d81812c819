#!/usr/bin/env bash
# The by-hand baseline of bench/pipeline-bench: what a person scripts without multiarch. For each platform in turn,
# buildah bud from the working tree and push to the registry, then one manifest list over the five, pushed to TAG.
# Usage: bench/by-hand.sh REGISTRY CONTEXT STORAGE TAG  (STORAGE: buildah's --root/--runroot, fresh or not)
set -euo pipefail
reg=$1; ctx=$2; storage=$3; tag=$4
B=(buildah --storage-driver vfs --root "$storage/root" --runroot "$storage/run")
list="by-hand-$tag"
"${B[@]}" manifest create "$list" >/dev/null
for platform in linux/amd64 linux/arm64 linux/arm/v7 linux/ppc64le linux/s390x; do
  suffix=$(echo "$platform" | cut -d/ -f2- | tr / -)
  "${B[@]}" bud -q --isolation chroot --platform "$platform" -t "by-hand-$suffix" "$ctx" >/dev/null
  "${B[@]}" push -q --tls-verify=false --digestfile "$storage/digest" "by-hand-$suffix" \
    "docker://$reg/by-hand:$tag-$suffix" >/dev/null
  "${B[@]}" manifest add --tls-verify=false "$list" "docker://$reg/by-hand@$(cat "$storage/digest")" >/dev/null
done
"${B[@]}" manifest push -q --tls-verify=false "$list" "docker://$reg/by-hand:$tag" >/dev/null
"${B[@]}" manifest rm "$list" >/dev/null
