#!/bin/sh
# craftctl remote steps of a deploy, one per run, chosen by CRAFT_STEP.
# craftctl prepends the variables below (shell-quoted) and runs this with
# `sh -c` (under `sudo -n` when the login user is not root).
#
#   CRAFT_ROOT       the remote root (default /opt/craftctl)
#   CRAFT_STACK      the stack name: directory and compose project name
#   CRAFT_RELEASE    the release this step is about
#   CRAFT_USER       the login user: owner of the stack's files
#   CRAFT_SECRETS    names of the generated secrets (space separated)
#   CRAFT_DOCKER_HOST     optional DOCKER_HOST (a test or demo engine)
#   CRAFT_HEALTH_TIMEOUT  seconds to wait for healthchecks
#   CRAFT_LOCK_TIMEOUT    age in seconds after which --force-unlock may break a lock
#   CRAFT_FORCE_UNLOCK    1 with --force-unlock
#   CRAFT_HOLDER     who takes the lock (user@host pid)
#   CRAFT_SERVICE, CRAFT_FOLLOW, CRAFT_TAIL   for the logs step
#   CRAFT_DATA_VOLUME, CRAFT_DATA_DEVICE, CRAFT_DATA_ROOT   the data volume
#                    (templates/data-volume.sh)
#
# Layout under $CRAFT_ROOT/$CRAFT_STACK:
#   releases/<id>/   one release: the compose file and what it references,
#                    .craftctl-release.env (RELEASE_ID, RELEASED_AT, deploy.env),
#                    .craftctl-compose (the compose file's name),
#                    .env -> ../../shared/.env,
#                    .craftctl-healthy once it passed its health check,
#                    .craftctl-failed when it failed
#   shared/.env      the secrets, mode 0600, created once, never rewritten
#   shared/data.yml  with a data volume: the compose override that puts the
#                    named volumes on it (templates/data-volume.sh)
#   current          -> releases/<id>, the release that passed its health check
#   lock/            the deploy lock (holder, pid, time, release)
# Named volumes are never removed: nothing here runs `down -v` or prunes volumes.
set -eu

: "${CRAFT_ROOT:?}" "${CRAFT_STACK:?}" "${CRAFT_STEP:?}"
if [ -n "${CRAFT_DOCKER_HOST:-}" ]; then
	DOCKER_HOST=$CRAFT_DOCKER_HOST
	export DOCKER_HOST
fi
base=$CRAFT_ROOT/$CRAFT_STACK
releases=$base/releases
shared=$base/shared
lock=$base/lock
release=${CRAFT_RELEASE:-}
dir=$releases/$release

die() {
	echo "$*" >&2
	exit 1
}

if docker compose version >/dev/null 2>&1; then
	compose_v2=1
else
	compose_v2=0
fi

compose() {
	if [ "$compose_v2" -eq 1 ]; then
		docker compose "$@"
	else
		docker-compose "$@"
	fi
}

# release_compose DIR ARGS...: compose in a release directory, with the
# secrets and the release's variables in the environment.
release_compose() {
	rdir=$1
	shift
	[ -f "$rdir/.craftctl-compose" ] || die "$rdir is not a complete release"
	cf=$(cat "$rdir/.craftctl-compose")
	(
		cd "$rdir"
		set -a
		# shellcheck disable=SC1090,SC1091
		. "$shared/.env"
		# shellcheck disable=SC1091
		. ./.craftctl-release.env
		set +a
		if [ -f "$shared/data.yml" ]; then
			# the named volumes on the data volume (data-volume.sh), for every release
			compose -p "$CRAFT_STACK" -f "$cf" -f "$shared/data.yml" "$@"
		else
			compose -p "$CRAFT_STACK" -f "$cf" "$@"
		fi
	)
}

current_release() {
	if [ -L "$base/current" ]; then
		basename "$(readlink "$base/current")"
	fi
}

step_init() {
	mkdir -p "$releases" "$shared"
	chown "$CRAFT_USER" "$base" "$releases" "$shared" 2>/dev/null || true
	chmod 0700 "$shared"
	echo "stack directory $base (current release: $(current_release || true))"
}

step_lock() {
	now=$(date +%s)
	waited=0
	while ! mkdir "$lock" 2>/dev/null; do
		pid=$(cat "$lock/pid" 2>/dev/null || true)
		holder=$(cat "$lock/holder" 2>/dev/null || echo unknown)
		since=$(cat "$lock/time" 2>/dev/null || echo "$now")
		held=$(cat "$lock/release" 2>/dev/null || echo unknown)
		if [ -z "$pid" ]; then
			# Taken this very moment: its holder is still writing its name.
			waited=$((waited + 1))
			if [ "$waited" -lt 5 ]; then
				sleep 1
				continue
			fi
		fi
		age=$((now - since))
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "breaking a stale lock of $holder (its process $pid is gone)"
			rm -rf "$lock"
			continue
		fi
		if [ "${CRAFT_FORCE_UNLOCK:-0}" = 1 ] && [ "$age" -ge "${CRAFT_LOCK_TIMEOUT:-1800}" ]; then
			echo "breaking the lock of $holder, held for ${age}s (--force-unlock)"
			rm -rf "$lock"
			continue
		fi
		when=$(date -u -d "@$since" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo "$since")
		echo "LOCKED by $holder since $when (${age}s), deploying release $held"
		exit 3
	done
	echo "$$" >"$lock/pid.tmp"
	mv "$lock/pid.tmp" "$lock/pid"
	printf '%s\n' "${CRAFT_HOLDER:-unknown}" >"$lock/holder"
	date +%s >"$lock/time"
	printf '%s\n' "$release" >"$lock/release"
	# The lock lives as long as craftctl's connection: when it closes our
	# stdin (or the connection dies), the lock goes. Only our own lock is
	# removed, never one taken after a --force-unlock.
	trap 'if [ "$(cat "$lock/pid" 2>/dev/null)" = "$$" ]; then rm -rf "$lock"; fi' EXIT
	trap 'exit 1' HUP INT TERM
	echo READY
	cat >/dev/null || true
}

step_extract() {
	tarball=$releases/$release.tar.gz
	[ -f "$tarball" ] || die "the upload $tarball is missing"
	if [ "$(current_release)" = "$release" ]; then
		die "release $release is already current"
	fi
	rm -rf "$dir.tmp"
	mkdir "$dir.tmp"
	tar -xzf "$tarball" -C "$dir.tmp" --no-same-owner
	rm -f "$tarball"
	ln -s ../../shared/.env "$dir.tmp/.env"
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
	chown -R "$CRAFT_USER" "$dir" 2>/dev/null || true
	echo "release $release unpacked ($(find "$dir" -type f | wc -l) files)"
}

step_secrets() {
	env=$shared/.env
	if [ ! -e "$env" ]; then
		command -v openssl >/dev/null 2>&1 || die "openssl is needed to generate the secrets"
		tmp=$env.new.$$
		(
			umask 077
			: >"$tmp"
			for name in ${CRAFT_SECRETS:-}; do
				printf '%s=%s\n' "$name" "$(openssl rand -hex 32)" >>"$tmp"
			done
		)
		chmod 0600 "$tmp"
		chown "$CRAFT_USER" "$tmp" 2>/dev/null || true
		mv "$tmp" "$env"
		echo "created $env (mode 0600) with $(wc -l <"$env") generated secret(s): ${CRAFT_SECRETS:-none}"
		return 0
	fi
	# Existing values are never rewritten. A name added to deploy.secrets
	# later is appended, leaving every existing line as it was.
	added=""
	for name in ${CRAFT_SECRETS:-}; do
		if ! grep -q "^$name=" "$env"; then
			command -v openssl >/dev/null 2>&1 || die "openssl is needed to generate the secrets"
			printf '%s=%s\n' "$name" "$(openssl rand -hex 32)" >>"$env"
			added="$added $name"
		fi
	done
	if [ -n "$added" ]; then
		echo "kept $env; appended new secret(s):$added"
	else
		echo "kept $env (never rewritten)"
	fi
}

step_build() {
	release_compose "$dir" build
}

step_up() {
	release_compose "$dir" up -d --remove-orphans
}

# Prints "name state health exitcode service" for each container of the stack.
container_states() {
	for id in $(release_compose "$1" ps -q); do
		docker inspect -f '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}} {{index .Config.Labels "com.docker.compose.service"}}' "$id"
	done
}

step_wait() {
	start=$(date +%s)
	next=$((start + 10))
	while :; do
		states=$(container_states "$dir")
		[ -n "$states" ] || die "the stack has no containers"
		pending=""
		bad=""
		# shellcheck disable=SC2034
		while read -r name state health code svc; do
			name=${name#/}
			case "$state/$health" in
			running/healthy | running/none) ;;
			running/starting | restarting/* | created/*) pending="$pending $svc" ;;
			running/unhealthy) bad="$bad $svc(unhealthy)" ;;
			exited/*)
				if [ "$code" != 0 ]; then
					bad="$bad $svc(exited $code)"
				fi
				;;
			*) bad="$bad $svc($state)" ;;
			esac
		done <<EOS
$states
EOS
		if [ -n "$bad" ]; then
			die "services failed their healthcheck:$bad"
		fi
		if [ -z "$pending" ]; then
			echo "every service is healthy ($(($(date +%s) - start))s)"
			return 0
		fi
		now=$(date +%s)
		if [ "$now" -ge $((start + ${CRAFT_HEALTH_TIMEOUT:-180})) ]; then
			die "services still not healthy after ${CRAFT_HEALTH_TIMEOUT:-180}s:$pending"
		fi
		if [ "$now" -ge "$next" ]; then
			echo "waiting for healthchecks:$pending ($((now - start))s)"
			next=$((now + 10))
		fi
		sleep 1
	done
}

step_diagnose() {
	[ -d "$dir" ] || return 0
	echo "--- ps of stack $CRAFT_STACK"
	release_compose "$dir" ps || true
	container_states "$dir" | while read -r name state health code svc; do
		case "$state/$health" in
		running/healthy | running/none) ;;
		exited/*) [ "$code" = 0 ] || echo "$svc" ;;
		*) echo "$svc" ;;
		esac
	done | sort -u | while read -r svc; do
		echo "--- last 50 log lines of $svc"
		release_compose "$dir" logs --no-color --tail 50 "$svc" 2>&1 || true
	done
}

step_activate() {
	ln -sfn "releases/$release" "$base/current.new"
	mv -T "$base/current.new" "$base/current"
	rm -f "$dir/.craftctl-failed"
	: >"$dir/.craftctl-healthy"
	echo "current -> releases/$release"
	# Keep the newest 5 releases (and always the current one).
	cur=$(current_release)
	find "$releases" -mindepth 1 -maxdepth 1 -type d ! -name '*.tmp' -printf '%f\n' |
		sort -r | tail -n +6 | while read -r old; do
		if [ "$old" != "$cur" ]; then
			rm -rf "${releases:?}/$old"
			echo "pruned release $old"
		fi
	done
	# Uploads of deploys that died before unpacking.
	find "$releases" -mindepth 1 -maxdepth 1 \( -name '*.tar.gz' -o -name '*.part' -o -name '*.tmp' \) \
		-mmin +60 -exec rm -rf {} + 2>/dev/null || true
}

step_mark_failed() {
	if [ -d "$dir" ]; then
		: >"$dir/.craftctl-failed"
	fi
	echo "release $release marked failed"
}

# The release `deploy --rollback` goes back to: the newest release older
# than the current one that once passed its health check.
step_previous() {
	cur=$(current_release)
	[ -n "$cur" ] || die "no current release to roll back from"
	find "$releases" -mindepth 1 -maxdepth 1 -type d ! -name '*.tmp' -printf '%f\n' | sort -r |
		{
			older=0
			while read -r r; do
				if [ "$older" = 1 ] && [ -e "$releases/$r/.craftctl-healthy" ] &&
					[ ! -e "$releases/$r/.craftctl-failed" ]; then
					echo "PREVIOUS $r"
					break
				fi
				if [ "$r" = "$cur" ]; then
					older=1
				fi
			done
		}
}

step_current() {
	echo "CURRENT $(current_release)"
}

step_logs() {
	cur=$(current_release)
	[ -n "$cur" ] || die "stack $CRAFT_STACK has no current release on this host"
	set -- --no-color --tail "${CRAFT_TAIL:-100}"
	if [ "${CRAFT_FOLLOW:-0}" = 1 ]; then
		set -- "$@" -f
	fi
	if [ -n "${CRAFT_SERVICE:-}" ]; then
		set -- "$@" "$CRAFT_SERVICE"
	fi
	release_compose "$releases/$cur" logs "$@"
}

# Before the data volume is swapped (restore): the stack stopped, the disk
# unmounted, so that it is detached clean.
step_data_release() {
	cur=$(current_release)
	if [ -n "$cur" ]; then
		release_compose "$releases/$cur" stop
	fi
	mnt=${CRAFT_DATA_ROOT:?}/$CRAFT_STACK
	sync
	if mountpoint -q "$mnt" 2>/dev/null; then
		umount "$mnt"
		echo "unmounted $mnt"
	fi
	echo "stack $CRAFT_STACK stopped; its data volume is released"
}

step_ps() {
	cur=$(current_release)
	[ -n "$cur" ] || die "stack $CRAFT_STACK has no current release on this host"
	release_compose "$releases/$cur" ps
}

case $CRAFT_STEP in
init) step_init ;;
lock) step_lock ;;
extract) step_extract ;;
secrets) step_secrets ;;
build) step_build ;;
up) step_up ;;
wait) step_wait ;;
diagnose) step_diagnose ;;
activate) step_activate ;;
mark-failed) step_mark_failed ;;
previous) step_previous ;;
current) step_current ;;
logs) step_logs ;;
ps) step_ps ;;
data-release) step_data_release ;;
*) die "unknown step '$CRAFT_STEP'" ;;
esac
