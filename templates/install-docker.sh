#!/bin/sh
# craftctl remote step: install Docker Engine and Compose when they are
# missing. Idempotent: nothing is installed when `docker` and either
# `docker compose` (v2 plugin) or `docker-compose` (v1) are present.
# Packages (Debian/Ubuntu archives, no third-party repository):
#   docker.io                                      the engine and CLI
#   docker-compose-v2 (Ubuntu), docker-compose-plugin (Docker's repo, when
#   configured) or docker-compose (Debian, v1)     compose, first available
# apt waits for other apt/dpkg runs (cloud-init, unattended-upgrades)
# instead of failing.
set -eu

if [ -n "${CRAFT_DOCKER_HOST:-}" ]; then
	DOCKER_HOST=$CRAFT_DOCKER_HOST
	export DOCKER_HOST
fi
export DEBIAN_FRONTEND=noninteractive

have_compose() {
	docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1
}

# apt-get that waits up to 10 minutes for the dpkg lock, then retries once
# more for the lists lock apt's own timeout does not cover.
apt_get() {
	tries=0
	while :; do
		if apt-get -q -o DPkg::Lock::Timeout=600 "$@"; then
			return 0
		fi
		tries=$((tries + 1))
		if [ "$tries" -ge 5 ]; then
			return 1
		fi
		echo "apt-get failed (another apt run?); retrying in ${CRAFT_APT_RETRY_SECONDS:-10}s"
		sleep "${CRAFT_APT_RETRY_SECONDS:-10}"
	done
}

available() {
	apt-cache show "$1" >/dev/null 2>&1
}

updated=0
apt_update() {
	if [ "$updated" -eq 0 ]; then
		apt_get update
		updated=1
	fi
}

if command -v docker >/dev/null 2>&1 && have_compose; then
	echo "docker present: $(docker --version 2>/dev/null || echo unknown)"
else
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "docker or compose is missing and this host has no apt-get: install Docker Engine and Compose by hand" >&2
		exit 1
	fi
	if ! command -v docker >/dev/null 2>&1; then
		echo "installing docker.io"
		apt_update
		apt_get install -y --no-install-recommends docker.io
	fi
	if ! have_compose; then
		apt_update
		for pkg in docker-compose-v2 docker-compose-plugin docker-compose; do
			if available "$pkg"; then
				echo "installing $pkg"
				apt_get install -y --no-install-recommends "$pkg"
				break
			fi
		done
	fi
	if ! have_compose; then
		echo "no compose package could be installed (tried docker-compose-v2, docker-compose-plugin, docker-compose)" >&2
		exit 1
	fi
fi

# A test or demo engine on its own socket is started by whoever set
# CRAFT_DOCKER_HOST; the system engine is started here.
if [ -z "${CRAFT_DOCKER_HOST:-}" ] && ! docker info >/dev/null 2>&1; then
	if command -v systemctl >/dev/null 2>&1; then
		echo "starting the docker service"
		systemctl enable --now docker
	fi
fi
tries=0
until docker info >/dev/null 2>&1; do
	tries=$((tries + 1))
	if [ "$tries" -ge "${CRAFT_DOCKER_WAIT_SECONDS:-30}" ]; then
		echo "the docker engine does not answer (docker info failed for ${CRAFT_DOCKER_WAIT_SECONDS:-30}s)" >&2
		docker info >&2 || true
		exit 1
	fi
	sleep 1
done
if docker compose version >/dev/null 2>&1; then
	echo "compose: $(docker compose version)"
else
	echo "compose: $(docker-compose version --short 2>/dev/null || echo v1)"
fi
