#!/usr/bin/env bash
# Smoke test of the package as an app gets it: `npm pack`, then, once with Mongoose 8 + Koa 2 and once
# with Mongoose 9 + Koa 3, a temporary app installs the tarball and
#   - type-checks .ci/smoke/app.ts against it with skipLibCheck: false (the package's .d.ts included),
#   - runs it: the getting-started flow over HTTP against the test database (ESM `import`),
#   - loads the package with `require()` from CommonJS (.ci/smoke/require.cjs).
# With --git it also installs from a git URL (a clone of HEAD): `prepare` builds dist/ there.
# The database: MONGODB_URI, else the test harness provides one (test/fixtures/server).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${MONGODB_URI:-}" ]; then
  cd "$repo"
  exec node --import tsx test/fixtures/server/run-with-server.ts -- bash "$repo/.ci/smoke.sh" "$@"
fi
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
tsc="$repo/node_modules/typescript/bin/tsc"
work=$(mktemp -d "${TMPDIR:-/tmp}/koa-mongorest-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)

(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/koa-mongorest-*.tgz)
echo "== smoke: packed $(basename "$tarball") ($(du -k "$tarball" | cut -f1) kB)"
# Only what belongs, and every source map's sources inside the package.
mkdir "$work/unpacked" && tar -xzf "$tarball" -C "$work/unpacked"
node "$repo/.ci/smoke/contents.mjs" "$work/unpacked/package"

# smoke_app NAME SPEC PACKAGES...: a fresh app that installs SPEC (the package) and PACKAGES, then checks.
smoke_app() {
  local name=$1 spec=$2
  shift 2
  local app="$work/$name"
  mkdir -p "$app"
  cp "$repo/.ci/smoke/app.ts" "$repo/.ci/smoke/require.cjs" "$repo/.ci/smoke/tsconfig.json" "$app/"
  # allowScripts: npm versions that gate dependencies' install scripts must let `prepare` build a git install
  # (older npm ignore the field and run it anyway).
  echo '{ "name": "smoke-app", "version": "1.0.0", "private": true, "type": "module", "allowScripts": { "koa-mongorest": true } }' >"$app/package.json"
  local t0=$(date +%s)
  (cd "$app" && npm install --no-package-lock "$spec" "$@" @types/node@20 >"$app/install.log" 2>&1) ||
    { cat "$app/install.log"; return 1; }
  local copies
  copies=$(cd "$app" && find node_modules -name package.json -path '*/mongoose/package.json' -not -path '*/mongoose/*/*' | wc -l)
  echo "== smoke [$name]: installed $spec $* in $(( $(date +%s) - t0 )) s; mongoose copies: $copies"
  [ "$copies" = 1 ] || { echo "more than one mongoose installed"; return 1; }
  (cd "$app" && node "$tsc" -p tsconfig.json)
  echo "== smoke [$name]: tsc (skipLibCheck: false) ok"
  (cd "$app" && node dist/app.js && node require.cjs)
}

smoke_app mongoose8-koa2 "$tarball" mongoose@8 koa@2 @types/koa@2
smoke_app mongoose9-koa3 "$tarball" mongoose@9 koa@3 @types/koa@3

if [ "${1:-}" = "--git" ]; then
  git clone -q "$repo" "$work/git-src"
  smoke_app git-mongoose8-koa2 "git+file://$work/git-src" mongoose@8 koa@2 @types/koa@2
fi
echo "== smoke: passed in $(( $(date +%s) - start )) s"
