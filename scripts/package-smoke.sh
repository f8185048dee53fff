#!/usr/bin/env bash
# Packs the SlateDb packages into a temporary folder and builds and runs samples/SlateDb.Worker, a stand-alone worker
# that consumes them by package (DI and configuration, the health check, OpenTelemetry console export and the
# distributed cache), twice: the second run must find the first run's data.
#
# Offline: NuGet's sources are the temporary package folder, the machine's global packages folder (for the
# dependencies already restored by the repository's build) and the machine's configured sources. The packages are
# restored into a temporary global packages folder, so a rebuilt package of the same version is never taken from a
# stale cache. Everything lives in one mktemp -d folder, removed on exit.
#
# Prints "package smoke: OK" last on success; exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
packages_to_pack=(SlateDb.ObjectStore SlateDb.Core SlateDb.Admin SlateDb.Extensions.Hosting SlateDb.Extensions.OpenTelemetry SlateDb.Caching)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

work=$(mktemp -d -t slatedb-packages.XXXXXX)
trap 'rm -rf "$work"' EXIT
say() { echo "[package-smoke] $*" >&2; }

version=$(dotnet msbuild src/SlateDb.Core/SlateDb.Core.csproj -nologo -getProperty:Version)
say "packing version $version into $work/packages"
for project in "${packages_to_pack[@]}"; do
  dotnet pack "src/$project/$project.csproj" -c Release -o "$work/packages" -nologo -clp:ErrorsOnly >&2
done
for id in SlateDb SlateDb.ObjectStore SlateDb.Admin SlateDb.Extensions.Hosting SlateDb.Extensions.OpenTelemetry SlateDb.Caching; do
  nupkg="$work/packages/$id.$version.nupkg"
  [ -f "$nupkg" ] || { say "missing $nupkg"; exit 1; }
  # Every package carries its README, the license, XML docs, and a symbol package beside it.
  listing=$(unzip -l "$nupkg")
  for part in README.md LICENSE "lib/net10.0/.*\.xml"; do
    grep -qE " $part\$" <<<"$listing" || { say "$id has no $part"; exit 1; }
  done
  [ -f "$work/packages/$id.$version.snupkg" ] || { say "$id has no symbol package"; exit 1; }
done

cp -r samples/SlateDb.Worker "$work/app"
rm -rf "$work/app/bin" "$work/app/obj" "$work/app/data"
global_packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cat > "$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="slatedb-packed" value="$work/packages" />
    <add key="machine-global-packages" value="$global_packages" />
  </packageSources>
</configuration>
XML
export NUGET_PACKAGES=$work/nuget-packages

say "building the worker against the packages"
dotnet build "$work/app" -c Release -nologo -clp:ErrorsOnly -p:SlateDbVersion="$version" >&2
for run in 1 2; do
  say "run $run"
  (cd "$work/app" && dotnet bin/Release/net10.0/SlateDb.Worker.dll "$work/data") > "$work/run$run.log" 2>&1 || {
    cat "$work/run$run.log" >&2; say "run $run failed"; exit 1; }
  grep -E '^(orders|cache|checkpoint|health|worker):' "$work/run$run.log"
  grep -q "^orders: run $run, $run orders$" "$work/run$run.log" || { say "run $run did not see $run orders"; exit 1; }
  grep -q "^worker: verified$" "$work/run$run.log" || { say "run $run was not verified"; exit 1; }
  grep -q "slatedb.write" "$work/run$run.log" || { say "run $run exported no slatedb.write span"; exit 1; }
  grep -q "slatedb.writes" "$work/run$run.log" || { say "run $run exported no slatedb.writes metric"; exit 1; }
done
echo "package smoke: OK"
