#!/bin/sh
# craftctl remote step: put the stack's named volumes on its data volume.
# Runs after a release is extracted and before anything of it starts, on
# every deploy (each step is idempotent), with the variables of
# deploy-steps.sh plus:
#
#   CRAFT_DATA_VOLUME  the EBS volume id (vol-...)
#   CRAFT_DATA_DEVICE  the device name it was attached as (/dev/sdf)
#   CRAFT_DATA_ROOT    where stacks' data volumes are mounted (craftctl's
#                      default /var/lib/craftctl-data; tests use their own)
#
# 1. Find the disk: on Nitro instances an NVMe disk whose serial is the
#    volume id (/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol...), on
#    Xen the device name itself (/dev/sdf or /dev/xvdf). The AWS simulator
#    of the tests stands a directory in for the disk ($AWSSIM_DEVICE_DIR/sdf,
#    which follows the volume from instance to instance); it is bind-mounted
#    where the disk would be.
# 2. Format it only when it is blank: blkid must find no signature at all
#    (no file system, no partition table). A disk with anything on it is
#    never formatted.
# 3. Mount it by UUID (nofail, so a missing volume cannot stop the boot) at
#    /var/lib/craftctl-data/<stack>, grow the file system to the volume's
#    size (online), and make Docker wait for the mount at boot
#    (RequiresMountsFor), so no container ever starts on an empty directory
#    of the root disk instead.
# 4. Each named volume of the compose file (.craftctl-volumes) becomes a
#    directory there, and shared/data.yml an override that binds the
#    volume to it (compose project volumes named <stack>_<name>_data);
#    deploy-steps.sh adds that override to every compose call, old releases
#    included. A volume the stack had on the root disk before is copied
#    over once (its containers stopped first), and kept.
set -eu

: "${CRAFT_ROOT:?}" "${CRAFT_STACK:?}" "${CRAFT_RELEASE:?}" "${CRAFT_DATA_VOLUME:?}" "${CRAFT_DATA_ROOT:?}"
if [ -n "${CRAFT_DOCKER_HOST:-}" ]; then
	DOCKER_HOST=$CRAFT_DOCKER_HOST
	export DOCKER_HOST
fi
device=${CRAFT_DATA_DEVICE:-/dev/sdf}
short=${device#/dev/}
shared=$CRAFT_ROOT/$CRAFT_STACK/shared
release=$CRAFT_ROOT/$CRAFT_STACK/releases/$CRAFT_RELEASE
mnt=$CRAFT_DATA_ROOT/$CRAFT_STACK

die() {
	echo "$*" >&2
	exit 1
}

case $CRAFT_DATA_VOLUME in
vol-[0-9a-f]*) ;;
*) die "'$CRAFT_DATA_VOLUME' is not a volume id" ;;
esac

# the disk: "blk PATH" or "dir PATH"
find_disk() {
	if [ -n "${AWSSIM_DEVICE_DIR:-}" ] && [ -d "$AWSSIM_DEVICE_DIR/$short" ]; then
		echo "dir $(readlink -f "$AWSSIM_DEVICE_DIR/$short")"
		return 0
	fi
	serial=$(echo "$CRAFT_DATA_VOLUME" | tr -d -)
	i=0
	while [ "$i" -lt 120 ]; do
		for d in "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_$serial" \
			"/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}-ns-1" \
			"$device" "/dev/xvd${short#sd}"; do
			if [ -b "$d" ]; then
				echo "blk $(readlink -f "$d")"
				return 0
			fi
		done
		i=$((i + 1))
		sleep 1
	done
	return 1
}

disk=$(find_disk) || die "data volume $CRAFT_DATA_VOLUME is attached as $device but no disk appeared in 120 s"
kind=${disk%% *}
path=${disk#* }

if [ "$kind" = dir ]; then
	mkdir -p "$mnt"
	# a mount left from another volume (before a restore) goes first
	if mountpoint -q "$mnt" && [ "$(stat -c %d:%i "$mnt")" != "$(stat -c %d:%i "$path")" ]; then
		umount "$mnt"
	fi
	if ! mountpoint -q "$mnt"; then
		mount --bind "$path" "$mnt"
		echo "mounted $CRAFT_DATA_VOLUME at $mnt"
	fi
	if [ ! -e "$mnt/.craftctl-data" ]; then
		# the stand-in for a new file system: only on an empty directory
		if [ -z "$(ls -A "$mnt")" ]; then
			echo "formatted $CRAFT_DATA_VOLUME (a directory standing in for the disk: $mnt)"
		else
			echo "data volume $CRAFT_DATA_VOLUME holds files already: used as it is"
		fi
		date -u +%Y-%m-%dT%H:%M:%SZ >"$mnt/.craftctl-data"
	fi
else
	fstype=$(blkid -p -o value -s TYPE "$path" 2>/dev/null || true)
	if [ -z "$fstype" ]; then
		if blkid -p "$path" >/dev/null 2>&1; then
			die "data volume $CRAFT_DATA_VOLUME ($path) has a signature that is not a file system (a partition table?): not formatting it; mount it yourself or give the stack a blank volume"
		fi
		echo "formatting $CRAFT_DATA_VOLUME ($path): it is blank"
		mkfs.ext4 -q -L craftctl-data -m 0 "$path"
		fstype=ext4
	fi
	case $fstype in
	ext4 | ext3 | xfs) ;;
	*) die "data volume $CRAFT_DATA_VOLUME ($path) has a $fstype file system; craftctl uses ext4 or xfs" ;;
	esac
	uuid=$(blkid -p -o value -s UUID "$path")
	[ -n "$uuid" ] || die "no UUID on $path"
	mkdir -p "$mnt"
	if ! grep -q "^UUID=$uuid $mnt " /etc/fstab; then
		tmp=$(mktemp /etc/fstab.craftctl.XXXXXX)
		grep -v " $mnt " /etc/fstab >"$tmp" || true
		echo "UUID=$uuid $mnt $fstype defaults,nofail,x-systemd.device-timeout=30s 0 2" >>"$tmp"
		chmod 644 "$tmp"
		mv "$tmp" /etc/fstab
	fi
	if mountpoint -q "$mnt" && [ "$(findmnt -n -o UUID "$mnt" 2>/dev/null)" != "$uuid" ]; then
		umount "$mnt" # another volume's file system (before a restore)
	fi
	if ! mountpoint -q "$mnt"; then
		mount "$mnt"
		echo "mounted $CRAFT_DATA_VOLUME at $mnt"
	fi
	if [ "$fstype" = xfs ]; then
		xfs_growfs "$mnt" >/dev/null
	else
		resize2fs "$path" >/dev/null 2>&1 || true
	fi
	if [ -d /run/systemd/system ]; then
		dropin=/etc/systemd/system/docker.service.d
		want="[Unit]
RequiresMountsFor=$mnt"
		if [ "$(cat "$dropin/craftctl-data-$CRAFT_STACK.conf" 2>/dev/null)" != "$want" ]; then
			mkdir -p "$dropin"
			printf '%s\n' "$want" >"$dropin/craftctl-data-$CRAFT_STACK.conf"
			systemctl daemon-reload
		fi
	fi
fi

data=$mnt/volumes
mkdir -p "$data" "$shared"
# this release's volumes and those of earlier ones (a rollback may need them)
names=$({
	cat "$release/.craftctl-volumes" 2>/dev/null || true
	sed -n 's/^  \([A-Za-z0-9][A-Za-z0-9_.-]*\):$/\1/p' "$shared/data.yml" 2>/dev/null || true
} | LC_ALL=C sort -u)
for n in $names; do
	mkdir -p "$data/$n"
	old=${CRAFT_STACK}_$n
	if [ -z "$(ls -A "$data/$n")" ] && docker volume inspect "$old" >/dev/null 2>&1; then
		src=$(docker volume inspect -f '{{.Mountpoint}}' "$old")
		users=$(docker ps -q --filter "volume=$old")
		if [ -n "$users" ]; then
			# shellcheck disable=SC2086
			docker stop $users >/dev/null
		fi
		cp -a "$src/." "$data/$n/"
		echo "copied volume $old from the root disk onto the data volume (the old volume is kept)"
	fi
done

# the override, rewritten only when it changes
tmp=$(mktemp "$shared/.data.yml.XXXXXX")
{
	echo "# generated by craftctl: the stack's named volumes on its data volume"
	echo "# $CRAFT_DATA_VOLUME, mounted at $mnt"
	if [ -n "$names" ]; then
		echo "volumes:"
		for n in $names; do
			echo "  $n:"
			echo "    name: ${CRAFT_STACK}_${n}_data"
			echo "    driver: local"
			echo "    driver_opts: { type: none, o: bind, device: \"$data/$n\" }"
		done
	fi
} >"$tmp"
if [ -n "$names" ] && ! cmp -s "$tmp" "$shared/data.yml"; then
	chmod 644 "$tmp"
	mv "$tmp" "$shared/data.yml"
	echo "named volumes on the data volume: $(echo "$names" | tr '\n' ' ')"
else
	rm -f "$tmp"
fi
