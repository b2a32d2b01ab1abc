'use strict';
// The payouts pages (web/src/admin_payouts.js, payout_steps.js): the merchant makes the month's
// draft, sees the held item with its reason, deletes and remakes it, refreshes it after another
// approval, exports the PayPal CSV after a confirm step (the items are then sent), marks one item
// paid and one failed with a reason; the partner sees its item pending → sent → paid with dates.
// Every page fits a 390 px phone and has no console errors.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Server, launchBrowser, watchedPage, screenshot } = require('./lib.js');

const PW = 'partner-pass-123';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const eur = (minor) => `€${(minor / 100).toFixed(2)}`;

async function login(page, base, email, password) {
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/(admin|partner)\/$/), page.click('button[type=submit]')]);
}

async function fits(page, label) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${label}: the page scrolls sideways by ${wide} px`);
  await screenshot(page, label);
}

// A program of the server's made through the API (extra: more program fields), with helpers to
// add partners and approved commissions.
async function shop(server, extra) {
  const auth = { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' };
  const call = async (method, p, body) => {
    const r = await server.fetch(p, { method, headers: auth, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
  const prog = await call('POST', '/api/v1/programs', { name: 'Shop', currency: 'EUR', allowed_hosts: ['shop.example'],
    default_url: 'https://shop.example/', min_payout: 1000, rules: [{ type: 'percent', bps: 1000 }], ...extra });
  let orders = 0;
  return {
    prog,
    partner: (name, more) => call('POST', '/api/v1/partners', { program_id: prog.id, email: `${name}@partners.example`, name, ref_code: name, ...more }),
    earn: async (partner, amount) => {
      const conv = await call('POST', '/api/v1/conversions', { program_id: prog.id, order_id: `o${++orders}`, amount, currency: prog.currency, ref: partner.ref_code });
      await call('POST', `/api/v1/commissions/${conv.commissions[0].id}/approve`);
    },
  };
}

test('payouts in the dashboards', { timeout: 180000 }, async (t) => {
  const server = await new Server().start({ demo: false });
  const browser = await launchBrowser();
  const base = server.base;
  // A EUR program without a debtor (so no SEPA file) and without PayPal's API: two PayPal
  // partners, one IBAN partner and one without a payout method.
  const { partner, earn } = await shop(server, {});
  const pp = await partner('paula', { password: PW, payout_method: { type: 'paypal', email: 'paula@partners.example' } });
  const pp2 = await partner('pete', { payout_method: { type: 'paypal', email: 'pete@partners.example' } });
  const iban = await partner('ines', { payout_method: { type: 'iban', iban: 'DE89 3704 0044 0532 0130 00', holder: 'Ines' } });
  const none = await partner('nora', {});
  await earn(pp, 40000); // 40.00
  await earn(pp2, 30000);
  await earn(iban, 50000);
  await earn(none, 20000);
  const now = new Date();
  const period = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;

  const ctx = await browser.newContext(PHONE);
  const admin = await watchedPage(ctx, 'admin');
  try {
    await login(admin, base, 'admin@shop.example', server.keys.admin_password);
    const group = (g) => `#payout-detail [data-group=${g}]`;
    const row = (g, p) => `${group(g)} tr:has-text("${p.name}")`;
    const makeDraft = async () => {
      await admin.goto(base + '/admin/payouts');
      await admin.waitForSelector('#payouts[data-state=ready]');
      await admin.click('#new-payout button[type=submit]');
      await admin.waitForSelector(`.flash:has-text("Draft ${period}:")`);
      await admin.waitForSelector('#payout-detail [data-status=draft]');
    };

    await t.test('a later month is refused with the API’s message', async () => {
      await admin.goto(base + '/admin/payouts');
      await admin.waitForSelector('#payouts[data-state=ready]');
      const next = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      await admin.fill('#new-payout input[name=period]', `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`);
      admin.expectedStatus.add(422);
      await admin.click('#new-payout button[type=submit]');
      await admin.waitForSelector('#new-payout .field-error');
      assert.match(await admin.textContent('#new-payout .field-error'), /month/i);
      assert.equal(server.sql('SELECT COUNT(*) AS n FROM payouts')[0].n, 0, 'nothing is made');
      admin.problems.length = 0; // the 422 the browser logs
      admin.expectedStatus.clear();
    });

    await t.test('the draft shows the payable and held items; a draft can be deleted', async () => {
      await makeDraft();
      assert.equal(await admin.locator(`${group('payable')} tbody tr`).count(), 3);
      assert.match(await admin.textContent(row('held', none)), /no payout method/);
      assert.match(await admin.textContent(row('payable', pp)), new RegExp(eur(4000).replace(/[.]/g, '\\.')));
      assert.match(await admin.textContent('#payout-files [data-note=sepa]'), /payout debtor/);
      assert.equal(await admin.getAttribute('#payout-files [data-note=sepa] a', 'href'), '/admin/settings');
      assert.equal(await admin.locator('#payout-detail button[data-action=send]').count(), 0, 'no PayPal API set up');
      await fits(admin, 'payouts-ui-draft-phone');
      await admin.click('#payout-detail button[data-action=delete]');
      await admin.click('#payout-detail .confirm button[data-action=confirm]');
      await admin.waitForSelector('.flash:text("deleted")');
      await admin.waitForSelector('#payouts .state.empty');
      assert.equal(server.sql('SELECT COUNT(*) AS n FROM payouts')[0].n, 0);
      admin.check();
    });

    await t.test('with the debtor set in the settings, the draft offers the SEPA XML', async () => {
      await makeDraft();
      await Promise.all([admin.waitForURL(/\/admin\/settings$/), admin.click('#payout-files [data-note=sepa] a')]);
      await admin.waitForSelector('#payout-debtor');
      await admin.fill('#payout-debtor input[name=name]', 'Shop GmbH');
      await admin.fill('#payout-debtor input[name=iban]', 'DE00 3704 0044 0532 0130 00');
      admin.expectedStatus.add(422);
      await admin.click('#payout-debtor button[type=submit]');
      await admin.waitForSelector('#payout-debtor [name=iban][aria-invalid=true]');
      assert.match(await admin.textContent('#payout-debtor .field-error'), /IBAN|check/i);
      admin.problems.length = 0; // the 422 the browser logs
      admin.expectedStatus.clear();
      await admin.fill('#payout-debtor input[name=iban]', 'DE02 1203 0000 0000 2020 51');
      await admin.click('#payout-debtor button[type=submit]');
      await admin.waitForSelector('.flash:text("Payout account saved")');
      assert.equal(JSON.parse(server.sql('SELECT payout_debtor FROM programs')[0].payout_debtor).iban, 'DE02120300000000202051');
      await admin.goto(base + '/admin/payouts');
      await admin.click('#payouts button[data-action=open]');
      await admin.waitForSelector('#payout-files [data-file=sepa]');
      assert.equal(await admin.locator('#payout-files [data-note=sepa]').count(), 0);
      admin.check();
    });

    await t.test('refreshing the draft takes the approvals since', async () => {
      await earn(pp, 10000); // another 10.00
      await admin.click('#payout-detail button[data-action=refresh]');
      await admin.waitForSelector(`${row('payable', pp)} td[data-col=amount]:text("${eur(5000)}")`);
      const [item] = server.sql(`SELECT amount FROM payout_items WHERE partner_id = '${pp.id}'`);
      assert.equal(item.amount, 5000);
      admin.check();
    });

    await t.test('the PayPal CSV is exported after a confirm step and its items are sent', async () => {
      await admin.click('#payout-files [data-file=paypal] button[data-action=download]');
      await admin.waitForSelector('#payout-files .confirm');
      assert.equal(server.sql("SELECT COUNT(*) AS n FROM payouts WHERE status = 'draft'")[0].n, 1, 'nothing leaves before the confirm');
      const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#payout-files .confirm button[data-action=confirm]')]);
      const lines = fs.readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/).sort();
      const refs = Object.fromEntries(server.sql('SELECT partner_id, reference FROM payout_items').map((r) => [r.partner_id, r.reference]));
      assert.equal(lines.length, 2, 'a row per PayPal partner, no header');
      assert.deepEqual(lines.map((l) => l.split(',').slice(0, 4)), [
        ['paula@partners.example', '50.00', 'EUR', refs[pp.id]],
        ['pete@partners.example', '30.00', 'EUR', refs[pp2.id]]]);
      await admin.waitForSelector(`${row('sent', pp)}`);
      assert.match(await admin.textContent(row('sent', pp2)), new RegExp(`Sent ${period}`));
      assert.equal(await admin.locator(`${group('payable')} tbody tr`).count(), 1, 'the IBAN item waits for its file');
      assert.equal(await admin.locator('#payout-files [data-file=wise]').count(), 1);
      assert.equal(server.sql('SELECT status FROM payouts')[0].status, 'exported');
      await fits(admin, 'payouts-ui-sent-phone');
      admin.check();
    });

    await t.test('one item is marked paid, another failed with its reason', async () => {
      await admin.click(`${row('sent', pp)} button[data-action=item-paid]`);
      await admin.waitForSelector(row('paid', pp));
      await admin.click(`${row('sent', pp2)} button[data-action=item-failed]`);
      await admin.fill(`${group('sent')} form[data-form=failed] input[name=reason]`, 'Account closed');
      await admin.click(`${group('sent')} form[data-form=failed] button[type=submit]`);
      await admin.waitForSelector(row('failed', pp2));
      assert.match(await admin.textContent(row('failed', pp2)), /Account closed/);
      assert.match(await admin.textContent(row('paid', pp)), new RegExp(`Paid ${period}`));
      const st = Object.fromEntries(server.sql('SELECT partner_id, status, reason FROM payout_items').map((r) => [r.partner_id, r]));
      assert.equal(st[pp.id].status, 'paid');
      assert.deepEqual([st[pp2.id].status, st[pp2.id].reason], ['failed', 'Account closed']);
      await fits(admin, 'payouts-ui-settled-phone');
      admin.check();
    });

    await t.test('the partner sees its item pending → sent → paid with the dates', async () => {
      const pctx = await browser.newContext(PHONE);
      const page = await watchedPage(pctx, 'partner');
      await login(page, base, 'paula@partners.example', PW);
      await page.goto(base + '/partner/payouts');
      const steps = '#payouts ol.payout-steps[data-status=paid]';
      await page.waitForSelector(steps);
      for (const s of ['pending', 'sent', 'paid']) {
        assert.match(await page.getAttribute(`${steps} li[data-step=${s}]`, 'class'), /done/);
        assert.match(await page.textContent(`${steps} li[data-step=${s}]`), new RegExp(period));
      }
      assert.equal(await page.locator('#payouts button[data-action=statement]').count(), 1);
      await fits(page, 'payouts-ui-partner-phone');
      page.check();
      await pctx.close();
    });
  } finally {
    await ctx.close();
    await browser.close();
    await server.stop();
  }
});

test('Send with PayPal where PayPal is set up, and the parts after', { timeout: 120000 }, async () => {
  const server = await new Server().start({ demo: false });
  const browser = await launchBrowser();
  // PayPal set up with a loopback address nothing answers: the send is accepted, the part retries.
  const { partner, earn } = await shop(server, { currency: 'USD',
    paypal: { client_id: 'AYclient', client_secret: 'ECsecret', mode: 'sandbox', base_url: 'http://127.0.0.1:9' } });
  const pp = await partner('paula', { payout_method: { type: 'paypal', email: 'paula@partners.example' } });
  await earn(pp, 40000);
  const ctx = await browser.newContext(PHONE);
  const admin = await watchedPage(ctx, 'admin');
  try {
    await login(admin, server.base, 'admin@shop.example', server.keys.admin_password);
    await admin.goto(server.base + '/admin/payouts');
    await admin.waitForSelector('#payouts[data-state=ready]');
    await admin.click('#new-payout button[type=submit]');
    await admin.click('#payout-detail button[data-action=send]');
    assert.equal(server.sql("SELECT status FROM payout_items")[0].status, 'payable', 'nothing leaves before the confirm');
    await admin.click('#paypal-send .confirm button[data-action=confirm]');
    await admin.waitForSelector('.flash:text("sent to PayPal")');
    await admin.waitForSelector(`#payout-detail [data-group=sent] tr:has-text("paula")`);
    assert.match(await admin.textContent('#payout-detail [data-group=sent] tr:has-text("paula")'), /PayPal API[\s\S]*PayPal settles it/);
    assert.equal(await admin.locator('#payout-detail [data-group=sent] button[data-action=item-paid]').count(), 0, 'only PayPal settles it');
    assert.equal(await admin.locator('#paypal-send tbody tr').count(), 1, 'the part and its state');
    assert.equal(await admin.locator('#paypal-send button[data-action=send]').count(), 0, 'sent once');
    assert.equal(await admin.locator('#payout-detail button[data-action=paid]').count(), 0, 'nothing to mark paid by hand');
    await fits(admin, 'payouts-ui-paypal-phone');
    admin.check();
  } finally {
    await ctx.close();
    await browser.close();
    await server.stop();
  }
});
