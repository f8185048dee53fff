#!/usr/bin/env bash
# Publishes samples/SlateDb.Aot (the quick start) with Native AOT and runs the native executable twice on local files
# in a temporary folder: the second run must find the first run's data. Trim and AOT analysis warnings fail the
# publish. Everything lives in one mktemp -d folder, removed on exit.
#
# Prints "aot smoke: OK" last on success; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
work=$(mktemp -d -t slatedb-aot.XXXXXX)
trap 'rm -rf "$work"' EXIT
say() { echo "[aot-smoke] $*" >&2; }

rid=$(dotnet --info | sed -n 's/^ *RID: *//p' | head -n1)
say "publishing samples/SlateDb.Aot for $rid"
start=$(date +%s)
dotnet publish samples/SlateDb.Aot/SlateDb.Aot.csproj -c Release -r "$rid" -o "$work/out" -nologo -clp:ErrorsOnly \
  -p:TreatWarningsAsErrors=true >&2
say "published in $(( $(date +%s) - start )) s: $(du -h "$work/out/SlateDb.Aot" | cut -f1) native executable"
[ "$(head -c 4 "$work/out/SlateDb.Aot" | od -An -c | tr -d ' ')" = "177ELF" ] || { say "the output is not a native executable"; exit 1; }
[ ! -e "$work/out/SlateDb.Aot.dll" ] || { say "the output holds IL assemblies: not a Native AOT publish"; exit 1; }

mkdir -p "$work/run"
for run in 1 2; do
  (cd "$work/run" && "$work/out/SlateDb.Aot") > "$work/run$run.log" 2>&1 || { cat "$work/run$run.log" >&2; say "run $run failed"; exit 1; }
  grep -E "^(A new database|Found|Reopened)" "$work/run$run.log"
  grep -q "run counter $run: verified" "$work/run$run.log" || { cat "$work/run$run.log" >&2; say "run $run was not verified"; exit 1; }
done
echo "aot smoke: OK"
