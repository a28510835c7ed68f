#!/bin/sh
# Installs example-agent 1.0.0: config and version marker only, idempotent, no network access.
set -eu
version="1.0.0"
conf_dir=/etc/example-agent
state_dir=/var/lib/example-agent
here=$(cd "$(dirname "$0")" && pwd)

umask 022
mkdir -p "$conf_dir" "$state_dir"
install -m 0644 "$here/agent.conf" "$conf_dir/agent.conf"
# additionalArguments arrive as environment variables; the SSM Agent accepts only SSM_-prefixed keys.
printf 'log_level = %s\n' "${SSM_LOG_LEVEL:-info}" > "$conf_dir/runtime.conf"
# The agent resolved {{ssm:/aft-fleet/...}} before the script ran: the key is never in the association.
if [ -n "${SSM_ACTIVATION_KEY:-}" ]; then
  (umask 077 && printf 'activation_key = %s\n' "$SSM_ACTIVATION_KEY" > "$conf_dir/activation.conf")
fi
printf '%s\n' "$version" > "$state_dir/VERSION"
logger -t example-agent "installed version $version" 2>/dev/null || true
echo "example-agent $version installed"
