#!/bin/sh
# In-place update of example-agent to 1.1.0: rewrites config and marker, keeps local state.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec sh "$here/install.sh"
