#!/bin/sh
# Installs example-agent 1.1.0: config and version marker only, idempotent, no network access.
set -eu
version="1.1.0"
conf_dir=/etc/example-agent
state_dir=/var/lib/example-agent
here=$(cd "$(dirname "$0")" && pwd)

umask 022
mkdir -p "$conf_dir" "$state_dir"
install -m 0644 "$here/agent.conf" "$conf_dir/agent.conf"
printf 'log_level = %s\n' "${LOG_LEVEL:-info}" > "$conf_dir/runtime.conf"
printf '%s\n' "$version" > "$state_dir/VERSION"
logger -t example-agent "installed version $version" 2>/dev/null || true
echo "example-agent $version installed"
