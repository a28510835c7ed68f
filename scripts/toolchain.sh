#!/usr/bin/env bash
# Builds the offline Terraform engine for the verification tiers: OpenTofu and the aws + archive
# providers from the Go module proxy, installed into a filesystem mirror under ~/.cache.
# Idempotent: each component is skipped when its binary is already in the cache.
#   scripts/toolchain.sh            build what is missing (prints timings)
#   scripts/toolchain.sh --check    exit 0 if the whole toolchain is cached, 1 otherwise
#   scripts/toolchain.sh --env      print the environment lines the engine tier needs
#   scripts/toolchain.sh --status   print one line per component: ok or missing
# A component whose module version the Go module proxy refuses to serve (some proxies answer
# 403 for commit pseudo-versions, which is the only way to name provider v2+/v6 commits) is
# reported as UNAVAILABLE and skipped; the build then exits 0 with what it could build, prints
# PARTIAL, and scripts/verify/engine.py runs only its provider-free checks. A failing compile
# still exits non-zero.
set -euo pipefail

TOFU_VERSION=v1.11.14
ARCHIVE_COMMIT=7096ab68f450798a4216950c921825194db1d4ab   # hashicorp/terraform-provider-archive v2.7.1
ARCHIVE_VERSION=2.7.1
AWS_COMMIT=00a35305dc1b297a6fcdecdfbba33f1e63c3da39       # hashicorp/terraform-provider-aws, version/VERSION 6.36.0
AWS_VERSION=6.36.0

CACHE=${AFT_FLEET_TOOLCHAIN:-$HOME/.cache/aft-fleet-toolchain}
BIN=$CACHE/bin
MIRROR=$CACHE/mirror
WORK=$CACHE/work
TOFU=$BIN/tofu

# Provider source code names no major-version suffix, so tags are not Go versions: pin commits.
# GOTOOLCHAIN=local: build with the installed Go, never fetch another toolchain.
export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false

provider_bin() { echo "$MIRROR/registry.opentofu.org/hashicorp/$1/$2/linux_amd64/terraform-provider-$1_v$2"; }

is_complete() {
  [ -x "$TOFU" ] && [ -x "$(provider_bin archive $ARCHIVE_VERSION)" ] && [ -x "$(provider_bin aws $AWS_VERSION)" ]
}

write_cli_config() {
  cat > "$CACHE/tofurc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.opentofu.org/hashicorp/*", "registry.terraform.io/hashicorp/*"]
  }
}
CFG
}

case "${1:-}" in
  --check) is_complete; exit $? ;;
  --env)
    echo "TOFU=$TOFU"
    echo "TF_CLI_CONFIG_FILE=$CACHE/tofurc"
    echo "AFT_FLEET_MIRROR=$MIRROR"
    exit 0 ;;
  --status)
    state() { if [ -x "$2" ]; then echo "toolchain: $1: ok"; else echo "toolchain: $1: missing"; fi; }
    state "opentofu $TOFU_VERSION" "$TOFU"
    state "archive provider $ARCHIVE_VERSION" "$(provider_bin archive $ARCHIVE_VERSION)"
    state "aws provider $AWS_VERSION" "$(provider_bin aws $AWS_VERSION)"
    exit 0 ;;
esac

mkdir -p "$BIN" "$MIRROR" "$WORK"

# Prints the module-cache directory of module@version, or the proxy's reason on stderr and returns 1.
module_dir() {
  go mod download -json "$1@$2" | python3 -c '
import json, sys
info = json.load(sys.stdin)
if "Dir" not in info:
    reason = info.get("Error", "no Dir in go mod download output").strip().replace("\n", " ")
    sys.stderr.write("toolchain: cannot download %s@%s: %s\n" % (info.get("Path"), info.get("Version"), reason))
    sys.exit(1)
print(info["Dir"])'
}

# Copies a module out of the read-only module cache into $WORK/<name> and prints that path.
fetch_module() {
  local module=$1 version=$2 name=$3 dir
  dir=$(module_dir "$module" "$version") || return 1
  rm -rf "${WORK:?}/$name"
  cp -r "$dir" "$WORK/$name"
  chmod -R u+w "$WORK/$name"
  echo "$WORK/$name"
}

timed() {
  local label=$1; shift
  local start=$SECONDS
  echo "toolchain: building $label ..."
  /usr/bin/time -f "toolchain: $label peak RSS %M KB" "$@"
  echo "toolchain: $label built in $((SECONDS - start)) s"
}

install_provider() {
  local name=$1 version=$2 src=$3 dest
  dest=$(provider_bin "$name" "$version")
  mkdir -p "$(dirname "$dest")"
  mv "$src" "$dest"
  # OpenTofu resolves "aws" to registry.opentofu.org, Terraform to registry.terraform.io: serve both.
  local tfdir="$MIRROR/registry.terraform.io/hashicorp/$name/$version/linux_amd64"
  mkdir -p "$tfdir"
  ln -sf "$dest" "$tfdir/terraform-provider-${name}_v$version"
}

unavailable=()

if [ ! -x "$TOFU" ]; then
  src=$(fetch_module github.com/opentofu/opentofu "$TOFU_VERSION" opentofu)
  # version.dev=no: report "v1.11.14", not "v1.11.14-dev", as the release build does.
  (cd "$src" && timed "opentofu $TOFU_VERSION" go build -trimpath \
    -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$TOFU.tmp" ./cmd/tofu)
  mv "$TOFU.tmp" "$TOFU"
  rm -rf "${WORK:?}/opentofu"
fi

if [ ! -x "$(provider_bin archive $ARCHIVE_VERSION)" ]; then
  if src=$(fetch_module github.com/hashicorp/terraform-provider-archive "$ARCHIVE_COMMIT" archive); then
    (cd "$src" && timed "archive provider $ARCHIVE_VERSION" go build -trimpath -ldflags "-s -w" -o "$WORK/archive.bin" .)
    install_provider archive "$ARCHIVE_VERSION" "$WORK/archive.bin"
    rm -rf "${WORK:?}/archive"
  else
    unavailable+=("archive provider $ARCHIVE_VERSION")
  fi
fi

if [ ! -x "$(provider_bin aws $AWS_VERSION)" ]; then
  if src=$(fetch_module github.com/hashicorp/terraform-provider-aws "$AWS_COMMIT" aws); then
    (cd "$src" && timed "aws provider $AWS_VERSION" go build -trimpath -ldflags "-s -w" -o "$WORK/aws.bin" .)
    install_provider aws "$AWS_VERSION" "$WORK/aws.bin"
    rm -rf "${WORK:?}/aws"
  else
    unavailable+=("aws provider $AWS_VERSION")
  fi
fi

write_cli_config
if [ ${#unavailable[@]} -gt 0 ]; then
  for c in "${unavailable[@]}"; do
    echo "toolchain: UNAVAILABLE: $c: the Go module proxy does not serve its commit here"
  done
  echo "toolchain: PARTIAL: $CACHE has OpenTofu but not every provider; engine.py runs its provider-free checks"
else
  echo "toolchain: ready in $CACHE"
fi
