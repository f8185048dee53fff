#!/usr/bin/env bash
# The test command: builds the solution and runs every test project (unit and integration) in Release.
#
# Unless --unit-only is given it first installs what is missing (apt: radosgw, ceph-mon, ceph-osd; npm: azurite
# into .tools/azurite), starts a throw-away Ceph radosgw (S3) and Azurite (Azure Blob) on free 127.0.0.1 ports
# with all their data in one temp folder, and exports the SLATEDB_TEST_* variables the integration tests read
# (with SLATEDB_TEST_REQUIRE_SERVERS=1, so a missing server fails instead of skipping). The servers are stopped and
# the folder removed on exit, also when tests fail or the run is interrupted.
#
# TRX files go to .test-results/ (or --results DIR). The last line printed is always
#   N passed, N failed, N skipped
# summed over all TRX files; the exit code is non-zero if anything failed, including the build.
#
# Options:
#   --unit-only      start no servers; the integration tests report Skipped
#   --keep-servers   leave the servers running after the tests and print how to use and stop them
#   --results DIR    where the TRX files go (emptied first)
#   -- ARGS...       passed to dotnet test (e.g. -- --filter FullyQualifiedName~Radosgw)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

unit_only=0
keep_servers=0
results=$ROOT/.test-results
extra_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --unit-only) unit_only=1 ;;
    --keep-servers) keep_servers=1 ;;
    --results) results=$(realpath -m "$2"); shift ;;
    --) shift; extra_args=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (see $0 --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "[test.sh] $*" >&2; }

server_dir=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$server_dir" ]; then
    if [ "$keep_servers" = 1 ] && [ -f "$server_dir/radosgw/env" ]; then
      say "servers left running; their variables: source $server_dir/radosgw/env; source $server_dir/azurite/env"
      say "stop them with: scripts/servers/radosgw.sh stop $server_dir/radosgw; scripts/servers/azurite.sh stop $server_dir/azurite; rm -rf $server_dir"
    else
      scripts/servers/radosgw.sh stop "$server_dir/radosgw" || true
      scripts/servers/azurite.sh stop "$server_dir/azurite" || true
      rm -rf "$server_dir"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; echo "FAILED: the run was interrupted"; echo "0 passed, 1 failed, 0 skipped"; exit 130' INT TERM

# Prints the summary line for a run that failed before any test ran, then exits non-zero.
fail_early() {
  say "ERROR: $*"
  echo "FAILED: $*"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
}

command -v dotnet >/dev/null || fail_early "dotnet is not installed (the .NET 10 SDK is needed; see global.json)"
command -v python3 >/dev/null || fail_early "python3 is not installed (needed to pick free ports and to sum the TRX results)"

if [ "$unit_only" = 0 ]; then
  scripts/servers/radosgw.sh install || fail_early "could not install radosgw/ceph (apt-get install radosgw ceph-mon ceph-osd)"
  scripts/servers/azurite.sh install || fail_early "could not install azurite (npm install azurite into .tools/azurite)"
  server_dir=$(mktemp -d -t slatedb-servers.XXXXXX)
  scripts/servers/radosgw.sh start "$server_dir/radosgw" || fail_early "radosgw did not start (logs were printed above)"
  scripts/servers/azurite.sh start "$server_dir/azurite" || fail_early "azurite did not start (logs were printed above)"
  # shellcheck disable=SC1091
  source "$server_dir/radosgw/env"
  # shellcheck disable=SC1091
  source "$server_dir/azurite/env"
  export SLATEDB_TEST_REQUIRE_SERVERS=1
  # For ObjectStores.FromUri("s3://..."), which takes credentials only from the SDK's environment variables.
  export AWS_ACCESS_KEY_ID=$SLATEDB_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SLATEDB_TEST_S3_SECRET_KEY
  unset AWS_SESSION_TOKEN AWS_PROFILE
else
  say "--unit-only: no servers; integration tests will report Skipped"
  unset SLATEDB_TEST_REQUIRE_SERVERS
fi

rm -rf "$results"
mkdir -p "$results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

say "building SlateDb.sln (Release)"
if ! dotnet build SlateDb.sln -c Release -nologo -clp:ErrorsOnly 2>&1 | tee "$results/build.log"; then
  say "the build failed; errors:"
  grep -E ': error ' "$results/build.log" | sort -u | head -n 50 >&2 || true
  echo "FAILED: build of SlateDb.sln (see $results/build.log)"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

test_projects=$(dotnet sln SlateDb.sln list | grep -cE '(^|/)(tests|integration-tests)/.*Tests\.csproj$' || true)
say "running $test_projects test projects"
test_rc=0
dotnet test SlateDb.sln -c Release --no-build -nologo \
  --logger "trx;LogFilePrefix=tests" --logger "console;verbosity=minimal" \
  --results-directory "$results" "${extra_args[@]}" || test_rc=$?

python3 scripts/servers/trx-summary.py "$results" --expected-files "$test_projects" --test-exit-code "$test_rc"
