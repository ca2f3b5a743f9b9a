#!/usr/bin/env bash
# Fetches the browser libraries that report pages embed, from the npm registry, into build/web,
# and checks them against the checksums recorded here. Run by scripts/build.sh; offline and
# idempotent once the files are in place.
#
# NiiVue (BSD-2-Clause, github.com/niivue/niivue): the interactive viewer of the report.
# Its UMD bundle is a classic script, so the viewer page works from a file:// URL.
set -euo pipefail
cd "$(dirname "$0")/.."

niivue_version=0.69.0
# SHA-256 of the registry tarball (npm pack) and of the bundle taken from it.
niivue_tarball_sha256=6e9a6a471b428eb3b258a0086beca9187d95e43a781a39e8a519c6da246af485
niivue_bundle_sha256=47b896b77ec4a5be3ef1949c33ad393b6f45629921f326c279000bcf51bdb4af

web=build/web
bundle="$web/niivue.umd.js"
mkdir -p "$web"
if [ -f "$bundle" ] && echo "$niivue_bundle_sha256  $bundle" | sha256sum -c --status; then
  exit 0
fi

if ! command -v npm >/dev/null; then
  echo "fetch-web-deps: npm is missing (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetch-web-deps: npm pack @niivue/niivue@$niivue_version" >&2
(cd "$work" && npm pack --silent "@niivue/niivue@$niivue_version" >/dev/null)
tarball="$work/niivue-niivue-$niivue_version.tgz"
if ! echo "$niivue_tarball_sha256  $tarball" | sha256sum -c --status; then
  echo "fetch-web-deps: checksum mismatch for the NiiVue $niivue_version tarball" >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work" package/dist/niivue.umd.js
echo "$niivue_bundle_sha256  $work/package/dist/niivue.umd.js" | sha256sum -c --status
cp "$work/package/dist/niivue.umd.js" "$bundle.partial"
mv "$bundle.partial" "$bundle"
printf '%s\n%s\n' "$niivue_version" "$niivue_bundle_sha256" > "$web/niivue.version"
echo "fetch-web-deps: NiiVue $niivue_version in $bundle" >&2
