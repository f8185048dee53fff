#!/usr/bin/env bash
# Brings each src project's PublicAPI.Unshipped.txt in line with its public surface: builds, then adds
# the symbols RS0016 reports as undeclared and removes the ones RS0017 reports as gone. Review the diff:
# every line it adds is a public API change.
set -euo pipefail
cd "$(dirname "$0")/.."
projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=(src/*/)
for dir in "${projects[@]}"; do
  dir=${dir%/}
  csproj=$(ls "$dir"/*.csproj)
  file="$dir/PublicAPI.Unshipped.txt"
  [ -f "$file" ] || echo '#nullable enable' > "$file"
  for _ in 1 2 3; do
    log=$(dotnet build "$csproj" --no-incremental -p:TreatWarningsAsErrors=false 2>&1 || true)
    added=$(grep -oE "RS0016: Symbol '.*' is not part of the declared public API" <<<"$log" | sed -E "s/^RS0016: Symbol '(.*)' is not part of the declared public API$/\1/" | sort -u || true)
    removed=$(grep -oE "RS0017: Symbol '.*' is part of the declared API, but is either not public or could not be found" <<<"$log" | sed -E "s/^RS0017: Symbol '(.*)' is part of the declared API.*/\1/" | sort -u || true)
    [ -z "$added$removed" ] && break
    if [ -n "$removed" ]; then
      grep -vxF -f <(printf '%s\n' "$removed") "$file" > "$file.tmp" || true
      mv "$file.tmp" "$file"
    fi
    if [ -n "$added" ]; then printf '%s\n' "$added" >> "$file"; fi
    { head -n1 "$file"; tail -n +2 "$file" | sort -u; } > "$file.tmp" && mv "$file.tmp" "$file"
  done
  echo "$file: $(($(wc -l < "$file") - 1)) symbols"
done
