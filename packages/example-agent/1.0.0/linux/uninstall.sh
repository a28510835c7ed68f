#!/bin/sh
# Removes example-agent; succeeds when it is already absent.
set -eu
rm -f /etc/example-agent/agent.conf /etc/example-agent/runtime.conf /etc/example-agent/activation.conf /var/lib/example-agent/VERSION
rmdir /etc/example-agent /var/lib/example-agent 2>/dev/null || true
logger -t example-agent "uninstalled" 2>/dev/null || true
echo "example-agent uninstalled"
