'use strict';
// The OpenAPI document (src/api/openapi.json, served at GET /openapi.json) against a real partnerd:
//  - @apidevtools/swagger-parser validates the document the server serves (OpenAPI 3.1);
//  - it and the route table (`partnerd serve --print-routes`) agree both ways: every route but the
//    dashboards' pages and assets is documented, and every documented path and method is served
//    (asked, it does not answer 404 "no such endpoint" nor 405);
//  - every example is valid against its schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses),
//    and every request body example, sent in the document's order to a fresh server, is accepted
//    (2xx) with an answer valid against the documented one. Ids in examples (prg_…, ptn_…) stand
//    for the ones the server handed out earlier in the run, so the examples form one story: a
//    program, its partner, a click, a lead, an order…;
//  - every documented answer the server gives to every route is valid against its schema, and
//    every documented query parameter is one the server reads.
//
// Environment (set by ctest): PARTNERD_BIN, PD_NODE_MODULES (the build's npm ci of web/).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { Server } = require('../browser/lib.js');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = process.env.PARTNERD_BIN || path.join(REPO, 'build', 'partnerd');
const MODULES = process.env.PD_NODE_MODULES || path.join(REPO, 'build', 'web-npm', 'node_modules');
const need = (name) => require(path.join(MODULES, name));

const METRICS_TOKEN = 'metrics-token-for-the-openapi-test';
const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];
// The dashboards' pages, their login and their assets, and the public signup and password pages:
// served for browsers, not part of the API.
const DASHBOARD = /^\/$|^\/(login|logout)$|^\/web\/|^\/admin(\/|$)|^\/partner(\/|$)|^\/assets\/|^\/invite\/|^\/(join|reset)\/|^\/forgot$/;

// "/api/v1/partners/{id}/keys" and "/api/v1/partners/*/keys" both become ".../*/keys".
const shape = (p) => p.replace(/\{[^}]+\}/g, '*');

function routeTable() {
  const out = execFileSync(BIN, ['serve', '--print-routes'], { encoding: 'utf8' });
  const routes = out.trim().split('\n').map((line) => {
    const [method, pattern] = line.split(' ');
    return { method: method.toLowerCase(), pattern };
  });
  assert.ok(routes.length > 20, `--print-routes printed ${routes.length} routes`);
  return routes;
}

function operations(doc) {
  const ops = [];
  for (const [p, item] of Object.entries(doc.paths))
    for (const m of METHODS)
      if (item[m]) ops.push({ path: p, method: m, op: item[m], params: [...(item.parameters || []), ...(item[m].parameters || [])] });
  return ops;
}

function resolve(doc, x) {
  while (x && x.$ref) x = x.$ref.replace(/^#\//, '').split('/').reduce((o, k) => o[k], doc);
  return x;
}

// Every documented path and method is in the route table (a GET route answers HEAD too), and
// every route but the dashboards' is documented with its method.
function compareWithRoutes(doc, routes) {
  const served = new Set(routes.map((r) => `${r.method} ${r.pattern}`));
  const problems = [];
  for (const { path: p, method } of operations(doc)) {
    const m = method === 'head' ? 'get' : method;
    if (!served.has(`${m} ${shape(p)}`)) problems.push(`documented but not routed: ${method.toUpperCase()} ${p}`);
  }
  const documented = new Set(operations(doc).map((o) => `${o.method} ${shape(o.path)}`));
  for (const r of routes) {
    if (DASHBOARD.test(r.pattern)) continue;
    if (!documented.has(`${r.method} ${r.pattern}`)) problems.push(`routed but not documented: ${r.method.toUpperCase()} ${r.pattern}`);
  }
  return problems;
}

function makeAjv(doc) {
  const Ajv2020 = need('ajv/dist/2020').default;
  const addFormats = need('ajv-formats').default;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: doc.components });
  const rebase = (x) => {
    if (Array.isArray(x)) return x.map(rebase);
    if (!x || typeof x !== 'object') return x;
    const o = {};
    for (const [k, v] of Object.entries(x)) o[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? 'openapi.json' + v : rebase(v);
    return o;
  };
  const cache = new Map();
  return (schema) => {
    const key = JSON.stringify(schema);
    if (!cache.has(key)) cache.set(key, ajv.compile(rebase(schema)));
    return cache.get(key);
  };
}

// Every example the document holds, with the schema it illustrates.
function examples(doc) {
  const found = [];
  for (const { path: p, method, op, params } of operations(doc)) {
    const where = `${method.toUpperCase()} ${p}`;
    for (const ref of params) {
      const prm = resolve(doc, ref);
      if (prm.example !== undefined) found.push({ where: `${where} ${prm.in} ${prm.name}`, schema: prm.schema, value: prm.example });
    }
    for (const [type, media] of Object.entries((op.requestBody && op.requestBody.content) || {}))
      if (media.example !== undefined) found.push({ where: `${where} request ${type}`, schema: media.schema, value: media.example, request: true });
    for (const [status, ref] of Object.entries(op.responses || {})) {
      const resp = resolve(doc, ref);
      for (const [type, media] of Object.entries(resp.content || {}))
        if (media.example !== undefined) found.push({ where: `${where} ${status} ${type}`, schema: media.schema, value: media.example });
    }
  }
  for (const [name, schema] of Object.entries(doc.components.schemas))
    if (schema.example !== undefined) found.push({ where: `schema ${name}`, schema: { $ref: `#/components/schemas/${name}` }, value: schema.example });
  return found;
}

// Ids the server handed out, by prefix ("ptn" → the latest partner id), found anywhere in answers.
function collectIds(x, ids) {
  if (Array.isArray(x)) x.forEach((v) => collectIds(v, ids));
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (typeof v === 'string' && (k === 'id' || k.endsWith('_id')) && /^[a-z]{3}_[0-9A-Za-z]+$/.test(v)) ids.set(v.slice(0, 3), v);
      else collectIds(v, ids);
    }
  }
}

// An example's ids replaced by the real ones of the same kind; missing lists the kinds not seen.
function substitute(x, ids, missing) {
  if (Array.isArray(x)) return x.map((v) => substitute(v, ids, missing));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, substitute(v, ids, missing)]));
  if (typeof x === 'string' && /^[a-z]{3}_01[0-9A-Z]{24}$/.test(x)) {
    if (ids.has(x.slice(0, 3))) return ids.get(x.slice(0, 3));
    missing.push(x.slice(0, 3));
  }
  return x;
}

function fillPath(doc, p, params, ids, missing) {
  return p.replace(/\{([^}]+)\}/g, (_, name) => {
    const prm = params.map((r) => resolve(doc, r)).find((x) => x.in === 'path' && x.name === name);
    assert.ok(prm, `${p}: path parameter ${name} is not described`);
    const v = prm.example !== undefined ? substitute(prm.example, ids, missing) : 'x';
    return encodeURIComponent(v);
  });
}

let server;
let doc;
const ids = new Map(); // what the examples made, by id prefix
let partnerKey = null;

// The key an operation takes: the secret key, or a key of the partner the examples made, or the
// metrics token.
async function keyFor(op) {
  const schemes = (op.security || doc.security).flatMap((s) => Object.keys(s));
  if (schemes.includes('metricsToken')) return METRICS_TOKEN;
  if (schemes.includes('secretKey') || !schemes.includes('partnerKey')) return server.keys.secret_key;
  if (!partnerKey) {
    assert.ok(ids.has('ptn'), 'no partner made before a partner key was needed');
    const res = await server.fetch(`/api/v1/partners/${ids.get('ptn')}/keys`, {
      method: 'POST', headers: { Authorization: `Bearer ${server.keys.secret_key}` },
    });
    assert.equal(res.status, 201);
    partnerKey = (await res.json()).key;
  }
  return partnerKey;
}

const checks = []; // [name, fn], run in this order against one server

checks.push(['GET /openapi.json serves the document in the tree, and swagger-parser validates it', async () => {
  const res = await server.fetch('/openapi.json');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const text = await res.text();
  assert.equal(text, fs.readFileSync(path.join(REPO, 'src', 'api', 'openapi.json'), 'utf8'));
  doc = JSON.parse(text);
  assert.equal(doc.openapi.slice(0, 4), '3.1.');
  const again = await server.fetch('/openapi.json', { headers: { 'If-None-Match': res.headers.get('etag') } });
  assert.equal(again.status, 304);
  // Clients generated from it name their methods by operationId: one each, never twice.
  const opIds = operations(doc).map((o) => o.op.operationId);
  assert.ok(opIds.every((x) => typeof x === 'string' && x), 'an operation without operationId');
  assert.equal(new Set(opIds).size, opIds.length, 'an operationId used twice');
  const SwaggerParser = need('@apidevtools/swagger-parser');
  await SwaggerParser.validate(structuredClone(doc)); // throws with the reasons when invalid
  const broken = structuredClone(doc);
  delete broken.paths['/healthz'].get.responses['200'].description;
  await assert.rejects(SwaggerParser.validate(broken), /description/, 'the validator refuses a response without its description');
}]);

checks.push(['the document and the route table agree both ways', () => {
  const routes = routeTable();
  assert.deepEqual(compareWithRoutes(doc, routes), []);
  // The comparison sees a route left out of the document, and a path the server does not have.
  const less = structuredClone(doc);
  delete less.paths['/api/v1/leads'];
  assert.deepEqual(compareWithRoutes(less, routes), ['routed but not documented: POST /api/v1/leads']);
  const more = structuredClone(doc);
  more.paths['/api/v1/leads/{id}'] = { get: doc.paths['/api/v1/conversions/{id}'].get };
  assert.deepEqual(compareWithRoutes(more, routes), ['documented but not routed: GET /api/v1/leads/{id}']);
}]);

checks.push(['every example is valid against its schema', () => {
  const compile = makeAjv(doc);
  const found = examples(doc);
  assert.ok(found.filter((e) => e.request).length >= 15, 'request examples');
  const problems = [];
  for (const e of found) {
    const validate = compile(e.schema);
    if (!validate(e.value)) problems.push(`${e.where}: ${JSON.stringify(validate.errors)}`);
  }
  assert.deepEqual(problems, []);
  // The schemas have teeth: each request example without one of its required fields, or with an
  // unknown field where none is allowed, is refused.
  let refused = 0;
  for (const e of found.filter((x) => x.request)) {
    const schema = resolve(doc, e.schema);
    const validate = compile(e.schema);
    for (const field of schema.required || []) {
      const less = { ...e.value };
      delete less[field];
      assert.ok(!validate(less), `${e.where} without ${field} passes its schema`);
      refused++;
    }
    if (schema.additionalProperties === false) {
      assert.ok(!validate({ ...e.value, ammount: 1 }), `${e.where} with an unknown field passes its schema`);
      refused++;
    }
  }
  assert.ok(refused >= 15, `only ${refused} refusals checked`);
}]);

checks.push(['the request examples, sent in order to a fresh server, are accepted', async () => {
  const compile = makeAjv(doc);
  const sent = [];
  const problems = [];
  for (const { path: p, method, op, params } of operations(doc)) {
    const media = op.requestBody && op.requestBody.content['application/json'];
    if (!media || media.example === undefined) continue;
    const missing = [];
    const url = fillPath(doc, p, params, ids, missing);
    const body = substitute(media.example, ids, missing);
    if (missing.length) {
      problems.push(`${method.toUpperCase()} ${p}: no ${missing.join(', ')} id handed out before it`);
      continue;
    }
    const key = await keyFor(op);
    const res = await server.fetch(url, {
      method: method.toUpperCase(),
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    sent.push(`${method.toUpperCase()} ${p}`);
    if (res.status < 200 || res.status > 299) {
      problems.push(`${method.toUpperCase()} ${url} ${JSON.stringify(body)}: ${res.status} ${text}`);
      continue;
    }
    const answer = JSON.parse(text);
    collectIds(answer, ids);
    // The answer is one the document describes.
    const ok = resolve(doc, op.responses[String(res.status)]);
    if (!ok || !ok.content || !ok.content['application/json']) {
      problems.push(`${method.toUpperCase()} ${p}: answered ${res.status}, which is not documented`);
      continue;
    }
    const validate = compile(ok.content['application/json'].schema);
    if (!validate(answer)) problems.push(`${method.toUpperCase()} ${p}: the answer ${text} is not its schema: ${JSON.stringify(validate.errors)}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(sent.length >= 15, `only ${sent.length} examples sent`);
  if (process.env.PD_API_VERBOSE) console.log(sent.join("\n"));
}]);


// /api/v1 routes refuse a query parameter they do not read (400 "unknown query parameter"): none
// of the documented ones may be refused so.
checks.push(['every documented query parameter is one the server knows', async () => {
  const problems = [];
  let asked = 0;
  for (const { path: p, method, op, params } of operations(doc)) {
    if (method !== 'get' || !p.startsWith('/api/v1/')) continue;
    for (const prm of params.map((r) => resolve(doc, r)).filter((x) => x.in === 'query')) {
      const sch = prm.schema || {};
      const value = prm.example ?? (sch.enum ? sch.enum[0] : sch.type === 'integer' ? sch.minimum ?? 1 : 'x');
      const url = `${fillPath(doc, p, params, ids, [])}?${encodeURIComponent(prm.name)}=${encodeURIComponent(value)}`;
      const res = await server.fetch(url, { headers: { Authorization: `Bearer ${await keyFor(op)}` } });
      const body = await res.text();
      if (/unknown query parameter/.test(body)) problems.push(`GET ${url}: ${body}`);
      asked++;
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(asked >= 20, `only ${asked} query parameters asked`);
  // The server names an unknown one so.
  const res = await server.fetch('/api/v1/programs?ammount=1', { headers: { Authorization: `Bearer ${server.keys.secret_key}` } });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /unknown query parameter/);
}]);

// The other way: a query parameter an /api/v1 route reads is documented on it. Asked are the names
// a filter would plausibly have: every documented query parameter and every field of every schema.
checks.push(['every query parameter an /api/v1 route reads is documented on it', async () => {
  const names = new Set();
  for (const { params } of operations(doc))
    for (const prm of params.map((r) => resolve(doc, r))) if (prm.in === 'query') names.add(prm.name);
  const fields = (x) => {
    if (Array.isArray(x)) return x.forEach(fields);
    if (!x || typeof x !== 'object') return;
    if (x.properties) Object.keys(x.properties).forEach((k) => names.add(k));
    Object.values(x).forEach(fields);
  };
  fields(doc.components.schemas);
  assert.ok(names.size > 100, `only ${names.size} names`);
  const problems = [];
  for (const { path: p, method, op, params } of operations(doc)) {
    if (method !== 'get' || !p.startsWith('/api/v1/')) continue;
    const documented = new Set(params.map((r) => resolve(doc, r)).filter((x) => x.in === 'query').map((x) => x.name));
    const url = fillPath(doc, p, params, ids, []);
    const key = await keyFor(op);
    const bare = await server.fetch(url, { headers: { Authorization: `Bearer ${key}` } });
    await bare.arrayBuffer();
    // A file the examples' story cannot make (a payout batch with nothing to export) is refused
    // after its query is checked, so its query is probed all the same.
    const file = !((resolve(doc, op.responses['200']) || {}).content || {})['application/json'];
    // So is a read of what they cannot make either (x-example-missing says what): its
    // documented 404.
    const absent = op['x-example-missing'] && bare.status === 404 && op.responses['404'];
    if (bare.status !== 200 && !(file && bare.status >= 400 && bare.status < 500) && !absent) {
      problems.push(`GET ${url}: ${bare.status}`);
      continue;
    }
    for (const name of names) {
      if (documented.has(name)) continue;
      const res = await server.fetch(`${url}?${encodeURIComponent(name)}=x`, { headers: { Authorization: `Bearer ${key}` } });
      const body = await res.text();
      // Refused as unknown, or (key, api_key) as a key in the URL: either way not read.
      const refused = res.status === 400 && JSON.parse(body).error.param === name;
      if (!refused) problems.push(`GET ${url}?${name}=x: ${res.status} ${body.slice(0, 200)}`);
    }
  }
  assert.deepEqual(problems, []);
}]);

checks.push(['every documented path and method is served, and what it answers is its schema', async () => {
  // Last: the ids the examples made are real, so the reads find what they ask for (and the
  // deletes delete).
  const compile = makeAjv(doc);
  const problems = [];
  let checked = 0;
  for (const { path: p, method, op, params } of operations(doc)) {
    const url = fillPath(doc, p, params, ids, []);
    const res = await server.fetch(url, {
      method: method.toUpperCase(),
      headers: { Authorization: `Bearer ${await keyFor(op)}` },
    });
    const body = method === 'head' ? '' : await res.text();
    if ((res.status === 404 && body.includes('no such endpoint')) || res.status === 405) {
      problems.push(`${method.toUpperCase()} ${url}: ${res.status} ${body}`);
      continue;
    }
    const documented = resolve(doc, op.responses[String(res.status)]);
    if (!documented) {
      problems.push(`${method.toUpperCase()} ${url}: ${res.status} is not documented: ${body}`);
      continue;
    }
    const media = documented.content && documented.content['application/json'];
    if (method === 'head' || !media || !/^application\/json/.test(res.headers.get('content-type') || ''))
      continue;
    const validate = compile(media.schema);
    if (!validate(JSON.parse(body))) problems.push(`${method.toUpperCase()} ${url}: ${body} is not its schema: ${JSON.stringify(validate.errors)}`);
    if (res.status === 200) checked++;
  }
  assert.deepEqual(problems, []);
  assert.ok(checked >= 25, `only ${checked} answers checked against their schemas`);
  // And the check sees a path that is not served.
  const res = await server.fetch('/api/v1/leads/x', { headers: { Authorization: `Bearer ${server.keys.secret_key}` } });
  assert.equal(res.status, 404);
  assert.match(await res.text(), /no such endpoint/);
}]);

test('the OpenAPI document', { timeout: 100000 }, async (t) => {
  server = await new Server().start({ demo: false, args: ['--metrics_token', METRICS_TOKEN] });
  try {
    for (const [name, fn] of checks) await t.test(name, fn);
  } finally {
    await server.stop();
  }
});
