#!/usr/bin/env bash
# Compatibility job: the whole suite again on the oldest supported majors — Mongoose 8 and Koa 2 (with
# @types/koa 2) — installed over the lock file's versions with `npm install --no-save`, and the library's
# sources type-checked against their types. The lock file's versions are put back afterwards (also on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
export npm_config_fund=false npm_config_audit=false

locked() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }
installed() { node -p "require('./node_modules/$1/package.json').version"; }
restore=("mongoose@$(locked mongoose)" "koa@$(locked koa)" "@types/koa@$(locked @types/koa)")
put_back() {
  echo "== compat: restoring ${restore[*]}"
  npm install --no-save --ignore-scripts "${restore[@]}" >/dev/null
}
trap put_back EXIT

start=$(date +%s)
npm install --no-save --ignore-scripts mongoose@8 koa@2 @types/koa@2 >/dev/null
echo "== compat: mongoose $(installed mongoose), koa $(installed koa), @types/koa $(installed @types/koa) (installed in $(( $(date +%s) - start )) s)"

# The published types must compile against Mongoose 8 / Koa 2 (tests and tools use 9/3-only typings).
npx tsc -p tsconfig.build.json --noEmit
# Every test file but docs-snippets: the docs are type-checked against the default versions. (On Mongoose 8's
# types, docs/relations.md's discriminator resources do not type-check: a discriminator model is not assignable
# to its base model's inferred type — a typing matter for the typed Resource of issue 11 item 3.)
# Nor server-capabilities: it proves what the *server* does (the same in both runs) and asserts the error
# shape of the MongoDB driver that Mongoose 9 brings (7.x); under Mongoose 8 (driver 6.x) insertMany's
# `writeErrors[].code` is undefined. lib/ never reads `writeErrors`.
mapfile -t files < <(ls test/*.test.ts | grep -v -E '^test/(docs-snippets|server-capabilities)\.test\.ts$')
npm test -- "${files[@]}"
echo "== compat: finished in $(( $(date +%s) - start )) s"
