#!/usr/bin/env bash
# Runs Azurite's blob service bound to 127.0.0.1, in memory, for the Azure Blob integration tests.
#
#   azurite.sh install       installs azurite with npm into .tools/azurite when missing
#   azurite.sh start DIR     starts it with its workspace in DIR (created), writes DIR/env with
#                            SLATEDB_TEST_AZURE_CONNECTION_STRING to source
#   azurite.sh stop DIR      stops it
set -euo pipefail
source "$(dirname "$0")/lib.sh"

AZURITE_VERSION=3.37.0
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=$ROOT/.tools/azurite
MAIN=$PREFIX/node_modules/azurite/dist/src/blob/main.js
# Azurite's documented development account (public, not a secret).
ACCOUNT=devstoreaccount1
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

install() {
  if [ -f "$MAIN" ]; then return 0; fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    [ "$(id -u)" = 0 ] || die "node and npm are needed to install azurite (apt-get install nodejs npm)"
    log "installing nodejs and npm with apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends nodejs npm >&2 || { apt-get update >&2 && apt-get install -y --no-install-recommends nodejs npm >&2; }
  fi
  log "installing azurite $AZURITE_VERSION into $PREFIX"
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2
  [ -f "$MAIN" ] || die "npm install finished but $MAIN is missing"
}

start() {
  local dir=$1 port
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -f "$MAIN" ] || die "azurite is not installed in $PREFIX (run: $0 install)"
  port=$(free_port)
  local t0=$SECONDS
  # The node process itself is the server, so the recorded pid is the server's.
  # In-memory persistence rules out --location; the working directory takes anything it writes.
  (cd "$dir" && spawn "$dir/azurite.pgid" "$dir/azurite.log" node "$MAIN" --blobHost 127.0.0.1 --blobPort "$port" \
    --inMemoryPersistence --silent --skipApiVersionCheck --disableTelemetry)
  wait_until "$dir/azurite.pgid" 30 "azurite on 127.0.0.1:$port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" \
    || { tail -n 30 "$dir/azurite.log" >&2 || true; die "azurite did not start"; }
  cat >"$dir/env" <<ENV
export SLATEDB_TEST_AZURE_CONNECTION_STRING='DefaultEndpointsProtocol=http;AccountName=$ACCOUNT;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$port/$ACCOUNT;'
export SLATEDB_TEST_AZURE_SERVER="Azurite $(node "$MAIN" --version 2>/dev/null || echo "$AZURITE_VERSION")"
ENV
  log "azurite up at http://127.0.0.1:$port in $((SECONDS - t0))s"
}

stop() {
  stop_pidfiles "$1/azurite.pgid"
}

server_main "$@"
