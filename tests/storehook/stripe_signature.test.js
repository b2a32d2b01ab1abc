// partnerd's store webhook signature checks against signatures made by others:
// - Stripe: headers from the official `stripe` package (webhooks.generateTestHeaderString), and its
//   own verdict (webhooks.constructEvent) on the same header and body must agree with ours;
// - Shopify, WooCommerce, Paddle: HMAC-SHA256 made with node's crypto over random bodies.
// Environment: PD_STOREHOOK_CLI (the storehook_verify_cli binary), PD_NODE_MODULES (npm ci of
// tests/storehook/package.json), PD_FIXTURES (tests/unit/fixtures/storehook).
'use strict';
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const cli = process.env.PD_STOREHOOK_CLI;
const Stripe = require(path.join(process.env.PD_NODE_MODULES, 'stripe'));
const stripe = new Stripe('sk_test_partnerd_offline'); // never used for a request
const fixtures = process.env.PD_FIXTURES;

function verify(platform, header, secret, now, body) {
  const r = spawnSync(cli, [platform, header, secret, String(now)], { input: body });
  assert.equal(r.status === 0 || r.status === 1, true, `cli failed: ${r.stderr}`);
  return r.stdout.toString().trim();
}

function stripeAccepts(body, header, secret) {
  try {
    stripe.webhooks.constructEvent(body, header, secret, 300);
    return true;
  } catch (e) {
    return false;
  }
}

function testStripe() {
  const secret = 'whsec_' + crypto.randomBytes(24).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  for (const name of fs.readdirSync(fixtures).filter((f) => f.startsWith('stripe_'))) {
    const body = fs.readFileSync(path.join(fixtures, name), 'utf8');
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now });
    const cases = [
      ['valid', body, header, secret, 'ok'],
      ['one byte changed', changeOneByte(body), header, secret, 'mismatch'],
      ['wrong secret', body, header, secret + 'x', 'mismatch'],
      ['no header', body, '', secret, 'missing'],
    ];
    for (const [what, b, h, s, want] of cases) {
      assert.equal(verify('stripe', h, s, now, b), want, `${name}: ${what}`);
      if (h) assert.equal(stripeAccepts(b, h, s), want === 'ok', `${name}: stripe's verdict on ${what}`);
    }
  }
  const body = fs.readFileSync(path.join(fixtures, 'stripe_checkout_paid.json'), 'utf8');
  // Outside the 300 s window, both ways (Stripe's own library only looks back).
  const old = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now - 301 });
  assert.equal(verify('stripe', old, secret, now, body), 'stale');
  assert.equal(stripeAccepts(body, old, secret), false);
  const edge = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now - 300 });
  assert.equal(verify('stripe', edge, secret, now, body), 'ok');
  const ahead = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now + 301 });
  assert.equal(verify('stripe', ahead, secret, now, body), 'future');
  // While a secret is rolled Stripe sends one v1 per secret: either may match.
  const other = 'whsec_' + crypto.randomBytes(24).toString('base64url');
  const h2 = stripe.webhooks.generateTestHeaderString({ payload: body, secret: other, timestamp: now });
  const mine = stripe.webhooks.generateTestHeaderString({ payload: body, secret, timestamp: now });
  const both = `${h2},v1=${headerV1(mine)}`;
  assert.equal(verify('stripe', both, secret, now, body), 'ok');
  assert.equal(verify('stripe', both, other, now, body), 'ok');
  assert.equal(stripeAccepts(body, both, secret), true);
}

function headerV1(h) {
  return h.split(',').find((p) => p.startsWith('v1=')).slice(3);
}

function changeOneByte(text) {
  const k = Math.floor(text.length / 2);
  return text.slice(0, k) + (text[k] === 'a' ? 'b' : 'a') + text.slice(k + 1);
}

function hmac(secret, data, encoding) {
  return crypto.createHmac('sha256', secret).update(data).digest(encoding);
}

function testOthers() {
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < 20; i++) {
    const secret = crypto.randomBytes(1 + (i % 40)).toString('hex');
    const body = crypto.randomBytes(i * 37);
    const b64 = hmac(secret, body, 'base64');
    assert.equal(verify('shopify', b64, secret, now, body), 'ok', `shopify ${i}`);
    assert.equal(verify('woocommerce', b64, secret, now, body), 'ok', `woocommerce ${i}`);
    const ts = now - (i % 5);
    const h1 = hmac(secret, Buffer.concat([Buffer.from(`${ts}:`), body]), 'hex');
    assert.equal(verify('paddle', `ts=${ts};h1=${h1}`, secret, now, body), 'ok', `paddle ${i}`);
    if (body.length > 0) {
      const changed = Buffer.from(body);
      changed[i % changed.length] ^= 1;
      assert.equal(verify('shopify', b64, secret, now, changed), 'mismatch');
      assert.equal(verify('paddle', `ts=${ts};h1=${h1}`, secret, now, changed), 'mismatch');
    }
  }
  assert.equal(verify('woocommerce', '', 'x', now, 'webhook_id=42'), 'ping');
}

testStripe();
testOthers();
console.log('store webhook signatures: ok');
