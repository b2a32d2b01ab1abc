'use strict';
// Store connections in the merchant's program settings, in a real browser: a connection made in the
// UI shows its endpoint URL (the copy button puts exactly that on the clipboard), the platform's
// steps and whether a secret is set, never the secret; a delivery with a bad signature shows as the
// last refused one; a Stripe checkout.session.completed signed (node's crypto, Stripe's scheme)
// with the secret set in the UI becomes a conversion and is listed with what it did; a test-mode
// event on the live connection is listed as ignored with the reason; the mode switches; removing
// the connection makes its URL refuse deliveries.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Server, launchBrowser, watchedPage, screenshot } = require('./lib.js');
const { login, settled } = require('./dash.js');

const FIXTURE = path.join(__dirname, '..', 'unit', 'fixtures', 'storehook', 'stripe_checkout_paid.json');

// Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body" with the endpoint's secret>.
function stripeSignature(body, secret, t = Math.floor(Date.now() / 1000)) {
  return `t=${t},v1=${crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

// A paid one-time Checkout Session (the fixture's real layout) for a new order and click.
function checkoutEvent(order, clickId, currency, livemode = true) {
  const ev = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
  ev.id = `evt_${order}`;
  ev.livemode = livemode;
  Object.assign(ev.data.object, { id: order, client_reference_id: clickId, payment_intent: `pi_${order}`,
    currency: currency.toLowerCase(), livemode });
  return JSON.stringify(ev);
}

async function deliver(url, body, secret) {
  return fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'Stripe-Signature': stripeSignature(body, secret) } });
}

const card = (id) => `#connections .connection[data-id="${id}"]`;
const freshCard = (id) => `#connections[data-state=ready] .connection[data-id="${id}"]`; // after a reload

test('store connections in the merchant dashboard', { timeout: 180000 }, async (t) => {
  const server = await new Server().start();
  const browser = await launchBrowser();
  try {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
    const page = await watchedPage(ctx, 'admin');
    await login(page, server.base, server.keys.admin_email, server.keys.admin_password);
    const [prog] = server.sql('SELECT id, currency FROM programs');
    const secret = 'whsec_' + crypto.randomBytes(24).toString('base64url');
    let con;
    let url;
    let refusedAt;

    await t.test('connecting Stripe shows its URL, its steps and that no secret is set yet', async () => {
      await page.goto(server.base + '/admin/settings');
      await settled(page);
      await page.waitForSelector('#connections .state.empty');
      await page.selectOption('#new-connection select[name=platform]', 'stripe');
      assert.equal(await page.inputValue('#new-connection select[name=mode]'), 'live', 'live by default');
      assert.match(await page.textContent('#new-connection'), /whsec_/, 'the secret hint follows the platform');
      await page.click('#new-connection button[type=submit]');
      await page.waitForSelector('#connections[data-state=ready] .connection[data-platform=stripe]');
      [con] = server.sql(`SELECT id, platform, signing_secret, mode FROM connections WHERE program_id = '${prog.id}'`);
      assert.equal(con.platform, 'stripe');
      assert.equal(con.mode, 'live');
      assert.equal((await page.textContent(`${card(con.id)} [data-field=mode]`)).trim(), 'live');
      assert.equal(con.signing_secret, null);
      url = (await page.textContent(`${card(con.id)} code.endpoint-url`)).trim();
      assert.equal(url, `${server.base}/hooks/stripe/${con.id}`);
      await page.click(`${card(con.id)} button.copy`);
      await page.waitForSelector(`${card(con.id)} button.copy:text("Copied")`);
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url, 'the copy button copies the URL');
      const steps = await page.textContent(`${card(con.id)} details.steps`);
      for (const ev of ['checkout.session.completed', 'checkout.session.async_payment_succeeded', 'invoice.paid',
        'invoice_payment.paid', 'charge.refunded', 'Developers → Webhooks', 'whsec_'])
        assert.ok(steps.includes(ev), `the Stripe steps name ${ev}`);
      assert.equal(await page.getAttribute(`${card(con.id)} details.steps`, 'open'), '', 'the steps are open until a secret is set');
      assert.equal((await page.textContent(`${card(con.id)} [data-field=secret]`)).trim(), 'no secret yet');
      page.check();
    });

    await t.test('a delivery before the secret is set is refused, and the refusal is shown', async () => {
      const body = checkoutEvent(`cs_live_early_${Date.now()}`, null, prog.currency);
      const r = await deliver(url, body, secret);
      assert.equal(r.status, 401);
      await page.click(`${card(con.id)} button[data-action=refresh]`);
      await page.waitForSelector(`${freshCard(con.id)} .notice.refused`);
      const [row] = server.sql(`SELECT last_refused_at, last_refused_reason FROM connections WHERE id = '${con.id}'`);
      assert.ok(row.last_refused_at > 0 && row.last_refused_reason);
      refusedAt = row.last_refused_at;
      const shown = await page.textContent(`${card(con.id)} .refused`);
      assert.ok(shown.includes(row.last_refused_reason), `the reason is shown: ${shown}`);
      assert.ok(shown.includes(new Date(row.last_refused_at).toISOString().slice(0, 10)), 'with its time');
      page.check();
    });

    await t.test('the signing secret is set in the UI and never shown again', async () => {
      await page.fill(`${card(con.id)} input[name=signing_secret]`, secret);
      await page.click(`${card(con.id)} .secret-form button[type=submit]`);
      await page.waitForSelector('.flash:text("Signing secret set")');
      await page.waitForSelector(`${freshCard(con.id)} [data-field=secret]:text("secret set")`);
      assert.equal(server.sql(`SELECT signing_secret FROM connections WHERE id = '${con.id}'`)[0].signing_secret, secret);
      assert.ok(!(await page.content()).includes(secret), 'the page never holds the secret');
      assert.equal(await page.getAttribute(`${card(con.id)} details.steps`, 'open'), null, 'the steps fold once set');
      assert.match(await page.textContent(`${card(con.id)} .secret-form button`), /Replace secret/);
      page.check();
    });

    await t.test('a signed checkout.session.completed becomes a conversion, listed in the dashboard', async () => {
      const click = await server.fetch('/c/alice');
      assert.equal(click.status, 302);
      const clickId = new URL(click.headers.get('location')).searchParams.get('pd_click');
      assert.ok(clickId, 'the click redirect carries the click id');
      const order = `cs_live_${crypto.randomBytes(6).toString('hex')}`;
      const body = checkoutEvent(order, clickId, prog.currency);
      const tampered = body.replace('"amount_subtotal":10000', '"amount_subtotal":99999');
      assert.notEqual(tampered, body);
      const bad = await fetch(url, { method: 'POST', body: tampered, headers: { 'Content-Type': 'application/json',
        'Stripe-Signature': stripeSignature(body, secret) } });
      assert.equal(bad.status, 401, 'a body changed after signing is refused');
      const r = await deliver(url, body, secret);
      assert.equal(r.status, 200, await r.text());
      const [conv] = server.sql(`SELECT c.id, c.amount, p.ref_code FROM conversions c JOIN partners p ON p.id = c.partner_id WHERE c.order_id = '${order}'`);
      assert.deepEqual({ amount: conv.amount, ref: conv.ref_code }, { amount: 8500, ref: 'alice' });
      const [ev] = server.sql(`SELECT id, event_id, outcome, conversion_id FROM connection_events WHERE connection_id = '${con.id}'`);
      assert.deepEqual({ event: ev.event_id, outcome: ev.outcome, conv: ev.conversion_id }, { event: `evt_${order}`, outcome: 'conversion', conv: conv.id });

      await page.click(`${card(con.id)} button[data-action=refresh]`);
      const row = `${card(con.id)} .connection-events tr[data-id="${ev.id}"]`;
      await page.waitForSelector(row);
      assert.equal((await page.textContent(`${row} [data-col=outcome]`)).trim(), 'conversion');
      const did = await page.textContent(`${row} [data-col=did]`);
      assert.ok(did.includes(conv.id) && did.includes(order), `what it did: ${did}`);
      assert.match(await page.textContent(`${row} [data-col=event_type]`), /checkout\.session\.completed/);
      const [refused] = server.sql(`SELECT last_refused_at FROM connections WHERE id = '${con.id}'`);
      assert.ok(refused.last_refused_at > refusedAt, 'the tampered body is the last refusal');
      assert.ok((await page.textContent(`${card(con.id)} .refused`)).includes(new Date(refused.last_refused_at).toISOString().slice(11, 19)),
        'the dashboard shows the last refusal\'s time');
      await screenshot(page, 'admin-connections');
      page.check();
    });

    await t.test('a test-mode event on the live connection is listed as ignored, with the reason; the mode switches', async () => {
      const order = `cs_test_${crypto.randomBytes(6).toString('hex')}`;
      const r = await deliver(url, checkoutEvent(order, null, prog.currency, false), secret);
      assert.equal(r.status, 200, 'an authentic event partnerd cannot use answers 200');
      const [ev] = server.sql(`SELECT id, outcome, reason FROM connection_events WHERE event_id = 'evt_${order}'`);
      assert.equal(ev.outcome, 'ignored');
      assert.ok(ev.reason);
      await page.click(`${card(con.id)} button[data-action=refresh]`);
      const row = `${card(con.id)} .connection-events tr[data-id="${ev.id}"]`;
      await page.waitForSelector(row);
      assert.equal((await page.textContent(`${row} [data-col=outcome]`)).trim(), 'ignored');
      assert.ok((await page.textContent(`${row} [data-col=did]`)).includes(ev.reason), 'the reason is shown');
      assert.equal(server.sql(`SELECT count(*) n FROM conversions WHERE order_id = '${order}'`)[0].n, 0);

      await page.click(`${card(con.id)} button[data-action=mode]`);
      await page.waitForSelector(`${freshCard(con.id)} [data-field=mode]:text("test")`);
      assert.equal(server.sql(`SELECT mode FROM connections WHERE id = '${con.id}'`)[0].mode, 'test');
      await page.click(`${card(con.id)} button[data-action=mode]`);
      await page.waitForSelector(`${freshCard(con.id)} [data-field=mode]:text("live")`);
      assert.equal(server.sql(`SELECT mode FROM connections WHERE id = '${con.id}'`)[0].mode, 'live');
      page.check();
    });

    await t.test('a second platform lists its own steps; removing a connection refuses its URL', async () => {
      await page.selectOption('#new-connection select[name=platform]', 'woocommerce');
      await page.fill('#new-connection input[name=signing_secret]', 'a-chosen-woo-secret');
      await page.click('#new-connection button[type=submit]');
      await page.waitForSelector('#connections[data-state=ready] .connection[data-platform=woocommerce] [data-field=secret]:text("secret set")');
      const [woo] = server.sql("SELECT id, signing_secret FROM connections WHERE platform = 'woocommerce'");
      assert.equal(woo.signing_secret, 'a-chosen-woo-secret');
      const steps = await page.textContent(`${card(woo.id)} details.steps`);
      for (const s of ['Settings → Advanced → Webhooks', 'Order created', 'Order updated', 'v3']) assert.ok(steps.includes(s), s);
      assert.equal(await page.locator('#connections .connection').count(), 2);

      await page.click(`${card(woo.id)} button[data-action=delete]`);
      await page.click(`${card(woo.id)} button[data-action=confirm-delete]`);
      await page.waitForSelector('.flash:text("WooCommerce connection removed")');
      await page.waitForFunction(() => document.querySelectorAll('#connections[data-state=ready] .connection').length === 1);
      assert.equal(server.sql(`SELECT count(*) n FROM connections WHERE id = '${woo.id}'`)[0].n, 0);
      const r = await server.fetch(`/hooks/woocommerce/${woo.id}`, { method: 'POST', body: '{}' });
      assert.equal(r.status, 404, 'a removed connection no longer takes deliveries');
      page.check();
    });
    await ctx.close();
  } finally {
    await browser.close();
    await server.stop();
  }
});
