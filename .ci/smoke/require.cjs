// CommonJS apps load the ESM package with require() (Node >= 20.19: require(esm)).
const assert = require('node:assert/strict');
const lib = require('koa-mongorest');
for (const name of ['MongoRest', 'Resource', 'ResourceView']) assert.equal(typeof lib[name], 'function', name);
assert.equal(typeof lib.methods.List, 'object');
console.log(`require('koa-mongorest') from CommonJS: ok (${Object.keys(lib).length} exports)`);
