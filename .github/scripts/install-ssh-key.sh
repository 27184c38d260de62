#!/usr/bin/env bash
# Usage: DEPLOY_SSH_KEY=... install-ssh-key.sh STACK_FILE
#
# Writes the deploy key from the DEPLOY_SSH_KEY secret where craftctl looks
# for the stack's key, because a CI runner keeps no state between runs and
# the instance only accepts the key it was created with:
#   - instance.ssh_key from the stack file, when it sets one (~ is $HOME);
#   - otherwise craftctl's per-stack key path,
#     $XDG_CONFIG_HOME (when absolute) or ~/.config, then craftctl/<stack>/id_ed25519.
# The private key gets mode 0600 in a 0700 directory and is never printed;
# its public half is derived with ssh-keygen (which also proves the secret is
# an unencrypted OpenSSH/PEM private key) and written beside it as .pub.
# An existing, different key at that path is an error, never overwritten.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ]; then
  echo "usage: install-ssh-key.sh STACK_FILE" >&2
  exit 2
fi
file=$1
if [ -z "${DEPLOY_SSH_KEY:-}" ]; then
  echo "::error title=deploy key::the DEPLOY_SSH_KEY secret is empty or not set; see docs/github-actions.md (SSH key)"
  exit 2
fi
stack=$("$here/stack-info.py" "$file" stack)
key=$("$here/stack-info.py" "$file" ssh_key)
if [ -z "$key" ]; then
  # Like craftctl: XDG_CONFIG_HOME counts only when it is an absolute path.
  config=$HOME/.config
  case ${XDG_CONFIG_HOME:-} in /*) config=$XDG_CONFIG_HOME ;; esac
  key=$config/craftctl/$stack/id_ed25519
else
  case $key in
    \~) key=$HOME ;;
    \~/*) key=$HOME/${key#\~/} ;;
  esac
fi

umask 077
dir=$(dirname "$key")
mkdir -p "$dir"
tmp=$(mktemp "$dir/.deploy-key.XXXXXX")
trap 'rm -f "$tmp" "$tmp.pub"' EXIT
# Secrets pasted from Windows carry CRs; ssh-keygen rejects them.
printf '%s\n' "$DEPLOY_SSH_KEY" | tr -d '\r' > "$tmp"
chmod 600 "$tmp"
if ! ssh-keygen -y -P '' -f "$tmp" > "$tmp.pub" 2> /dev/null; then
  echo "::error title=deploy key::DEPLOY_SSH_KEY is not an unencrypted SSH private key (make one with: ssh-keygen -t ed25519 -N '' -f craftctl-deploy)"
  exit 2
fi
if [ -e "$key" ]; then
  if cmp -s "$tmp" "$key"; then
    echo "deploy key already in place at $key"
    exit 0
  fi
  echo "::error title=deploy key::$key exists and is a different key; not overwriting it"
  exit 1
fi
mv "$tmp" "$key"
mv "$tmp.pub" "$key.pub"
chmod 644 "$key.pub"
echo "deploy key for stack '$stack' written to $key (0600): $(ssh-keygen -l -f "$key.pub")"
