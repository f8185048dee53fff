#!/usr/bin/env bash
# Runs a throw-away single-node Ceph cluster (one monitor, one memstore OSD, one radosgw) bound to
# 127.0.0.1, with every file under one folder. Used by scripts/test.sh for the S3 integration tests.
#
#   radosgw.sh install       installs radosgw, ceph-mon and ceph-osd with apt when missing (needs root)
#   radosgw.sh start DIR     starts the cluster with its files in DIR (created), writes DIR/env with the
#                            SLATEDB_TEST_S3_* variables to source, and prints the endpoint
#   radosgw.sh stop DIR      stops every daemon started for DIR
#   radosgw.sh start-once DIR  one attempt of start, without the retry (used by start)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ACCESS_KEY=slatedbtestaccess
SECRET_KEY=slatedbtestsecret0123456789abcdef
BUCKET=slatedb-test

install() {
  if command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null \
    && command -v ceph >/dev/null && command -v radosgw-admin >/dev/null; then
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "radosgw/ceph are not installed and installing them needs root (apt-get install radosgw ceph-mon ceph-osd)"
  log "installing radosgw, ceph-mon, ceph-osd with apt"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd >&2
  fi
}

# Starts the cluster; a failed attempt (its daemons stopped, its folder kept as DIR.failed-N) is retried once with
# fresh ports, fsid and data, since a single-node cluster occasionally fails to form on a busy machine.
start() {
  local dir=$1 attempt
  for attempt in 1 2; do
    if "$0" start-once "$dir"; then
      return 0
    fi
    if [ -d "$dir" ]; then mv "$dir" "$dir.failed-$attempt"; fi
    [ "$attempt" = 2 ] || log "starting the cluster failed (attempt $attempt); retrying with fresh ports and data"
  done
  die "the Ceph cluster did not start (logs above; folders $dir.failed-*)"
}

start_once() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir/run" "$dir/log" "$dir/mon-a" "$dir/osd-0" "$dir/rgw"
  local conf=$dir/ceph.conf mon_port rgw_port fsid osd_uuid
  mon_port=$(free_port)
  rgw_port=$(free_port)
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)

  # tcp_nodelay=1: without it the server's Nagle delay meets the client's delayed ACK and every request on a kept-alive
  # connection (what the AWS SDK uses) takes about 44 ms instead of about 1 ms.
  cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = [v1:127.0.0.1:$mon_port]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms bind msgr2 = false
ms bind ipv4 = true
ms bind ipv6 = false
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
keyring = $dir/keyring
crash dir = $dir/crash
exporter sock dir = $dir/run
mon data = $dir/mon-\$id
osd data = $dir/osd-\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd crush update on start = false
osd class update on start = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail crit = 1
mon data avail warn = 2
mon max pg per osd = 1000
osd max object name len = 460
osd max object namespace len = 64
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $dir/rgw
rgw dns name = 127.0.0.1
CONF

  local t0=$SECONDS
  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --addv a "[v1:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >"$dir/log/mon-mkfs.log" 2>&1 \
    || { cat "$dir/log/mon-mkfs.log" >&2; die "ceph-mon --mkfs failed"; }
  spawn "$dir/mon.pgid" "$dir/log/mon.out" ceph-mon -c "$conf" -i a -f
  wait_until "$dir/mon.pgid" 30 "ceph monitor on 127.0.0.1:$mon_port" ceph -c "$conf" --connect-timeout 2 mon stat \
    || { tail -n 30 "$dir/log/mon.a.log" "$dir/log/mon.out" >&2 || true; die "the ceph monitor did not start"; }

  local osd_id
  osd_id=$(ceph -c "$conf" osd new "$osd_uuid")
  [ "$osd_id" = 0 ] || die "expected osd id 0, got '$osd_id'"
  ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.log" 2>&1 \
    || { cat "$dir/log/osd-mkfs.log" >&2; die "ceph-osd --mkfs failed"; }
  ceph -c "$conf" osd crush add osd.0 1.0 root=default host=localhost >/dev/null 2>&1
  spawn "$dir/osd.pgid" "$dir/log/osd.out" ceph-osd -c "$conf" -i 0 -f
  wait_until "$dir/osd.pgid" 60 "OSD 0 up" bash -c "ceph -c '$conf' --connect-timeout 2 osd dump 2>/dev/null | grep -q '^osd.0 up'" \
    || { tail -n 30 "$dir/log/osd.0.log" "$dir/log/osd.out" >&2 || true; die "the ceph OSD did not come up"; }

  spawn "$dir/rgw.pgid" "$dir/log/rgw.out" radosgw -c "$conf" -n client.rgw -f
  wait_until "$dir/rgw.pgid" 60 "radosgw on 127.0.0.1:$rgw_port" curl -sf -o /dev/null "http://127.0.0.1:$rgw_port/" \
    || { tail -n 30 "$dir/log/client.rgw.log" "$dir/log/rgw.out" >&2 || true; die "radosgw did not start"; }

  radosgw-admin -c "$conf" -n client.rgw user create --uid=slatedb-test --display-name="SlateDb tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$dir/log/user-create.log" 2>&1 \
    || { cat "$dir/log/user-create.log" >&2; die "radosgw-admin user create failed"; }

  cat >"$dir/env" <<ENV
export SLATEDB_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
export SLATEDB_TEST_S3_REGION=us-east-1
export SLATEDB_TEST_S3_ACCESS_KEY=$ACCESS_KEY
export SLATEDB_TEST_S3_SECRET_KEY=$SECRET_KEY
export SLATEDB_TEST_S3_BUCKET=$BUCKET
export SLATEDB_TEST_S3_SERVER="Ceph radosgw $(radosgw --version 2>/dev/null | awk '{print $3}')"
ENV
  log "radosgw up at http://127.0.0.1:$rgw_port in $((SECONDS - t0))s"
}

stop() {
  local dir=$1
  stop_pidfiles "$dir/rgw.pgid" "$dir/osd.pgid" "$dir/mon.pgid"
}

if [ "${1:-}" = start-once ]; then
  [ $# -eq 2 ] || die "usage: $0 start-once DIR"
  _once_dir=$2
  trap 'rc=$?; if [ $rc -ne 0 ]; then stop "$_once_dir"; fi' EXIT
  start_once "$_once_dir"
  exit 0
fi

server_main "$@"
