#!/bin/sh
# craftctl remote step: wait for cloud-init to finish where it exists, so
# Docker is not installed while cloud-init still runs apt. Hosts without
# cloud-init (a server you brought yourself) are fine.
set -eu

if ! command -v cloud-init >/dev/null 2>&1; then
	echo "no cloud-init on this host"
	exit 0
fi
echo "waiting for cloud-init to finish"
rc=0
cloud-init status --wait >/dev/null 2>&1 || rc=$?
case $rc in
0) echo "cloud-init done" ;;
2) echo "cloud-init finished with recoverable errors" ;;
*)
	echo "cloud-init failed (status $rc)" >&2
	cloud-init status --long >&2 || true
	exit 1
	;;
esac
