'use strict';
// Payout statements in the dashboards (web/src/statement.js): a partner opens the statement of a
// paid payout from the payout history, the merchant the same one from the batch's items; both
// show the totals the API gives, and printing shows the statement alone.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Server, launchBrowser, watchedPage, screenshot, usd } = require('./lib.js');

const PARTNER_PW = 'demo-partner-pass';

async function login(page, base, email, password) {
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/(admin|partner)\/$/), page.click('button[type=submit]')]);
}

test('statements', { timeout: 120000 }, async (t) => {
  const server = await new Server().start();
  const browser = await launchBrowser();
  const base = server.base;
  const auth = { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' };
  const call = async (method, p, body) => {
    const r = await server.fetch(p, { method, headers: auth, body: body ? JSON.stringify(body) : undefined });
    const text = await r.text();
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
  try {
    // Alice is paid by PayPal, her commissions are approved, and the program's draft for this
    // month is made and marked paid.
    const [alice] = server.sql("SELECT id, name, program_id FROM partners WHERE email = 'alice@partners.example'");
    const pending = server.sql(`SELECT id FROM commissions WHERE partner_id = '${alice.id}' AND status = 'pending' ORDER BY id`);
    assert.ok(pending.length > 0, 'the demo gives alice pending commissions');
    for (const c of pending) await call('POST', `/api/v1/commissions/${c.id}/approve`);
    await call('PATCH', `/api/v1/partners/${alice.id}`, { payout_method: { type: 'paypal', email: 'alice@partners.example' } });
    const now = new Date();
    const period = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const batch = await call('POST', '/api/v1/payouts', { program_id: alice.program_id, period });
    await call('POST', `/api/v1/payouts/${batch.id}/paid`);
    const item = (await call('GET', `/api/v1/payouts/${batch.id}`)).items.find((i) => i.partner_id === alice.id);
    assert.equal(item.status, 'paid');
    const st = await call('GET', `/api/v1/payouts/${batch.id}/items/${item.id}/statement`);
    assert.equal(st.total, item.amount);

    await t.test('the partner opens and prints the statement of a paid payout', async () => {
      const ctx = await browser.newContext();
      const page = await watchedPage(ctx, 'partner');
      await login(page, base, 'alice@partners.example', PARTNER_PW);
      await page.goto(base + '/partner/payouts');
      await page.click(`#payouts tr:has-text("${item.reference}") button[data-action=statement]`);
      await page.waitForSelector(`.statement[data-statement="${item.id}"]`);
      assert.equal((await page.textContent('.statement tr[data-total=total] td')).trim(), usd(st.total));
      assert.equal((await page.textContent('.statement tr[data-total=commissions] td')).trim(), usd(st.commissions_total));
      assert.equal(await page.locator('.statement tbody tr[data-commission]').count(), st.commissions.length);
      assert.match(await page.textContent('.statement header'), new RegExp(item.reference));
      assert.match(await page.textContent('.statement [data-party=partner]'), /alice@partners\.example/);
      await screenshot(page, 'partner-statement');
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.isVisible('#main'), false, 'the dashboard is hidden when printing');
      assert.equal(await page.isVisible('.statement'), true, 'the statement prints');
      assert.equal(await page.isVisible('.statement-actions'), false, 'the buttons do not print');
      await page.emulateMedia({ media: 'screen' });
      await page.click('.statement-sheet button[data-action=close]');
      assert.equal(await page.locator('.statement-sheet').count(), 0);
      page.check();
      await ctx.close();
    });

    await t.test('the merchant opens the same statement from the batch items', async () => {
      const ctx = await browser.newContext();
      const page = await watchedPage(ctx, 'admin');
      await login(page, base, 'admin@shop.example', server.keys.admin_password);
      await page.goto(base + '/admin/payouts');
      await page.click(`#payouts tr[data-id="${batch.id}"] button:has-text("Items")`);
      await page.click(`#payout-detail tr[data-id="${item.id}"] button[data-action=statement]`);
      await page.waitForSelector(`.statement[data-statement="${item.id}"]`);
      assert.equal((await page.textContent('.statement tr[data-total=total] td')).trim(), usd(st.total));
      assert.match(await page.textContent('.statement [data-party=partner]'), new RegExp(alice.name));
      await screenshot(page, 'admin-statement');
      page.check();
      await ctx.close();
    });

    await t.test('the merchant sets up PayPal in the settings; the secret is never shown', async () => {
      const ctx = await browser.newContext();
      const page = await watchedPage(ctx, 'admin');
      page.expectedStatus.add(400);
      await login(page, base, 'admin@shop.example', server.keys.admin_password);
      await page.goto(base + '/admin/settings');
      await page.fill('#paypal-settings input[name=client_id]', 'AYclient');
      await page.fill('#paypal-settings input[name=client_secret]', 'ECsecret-never-shown');
      await page.fill('#paypal-settings input[name=base_url]', 'http://paypal.example');
      await page.click('#paypal-settings button[type=submit]');
      await page.waitForSelector('#paypal-settings [name=base_url][aria-invalid=true]');
      assert.match(await page.textContent('#paypal-settings .field-error'), /https/);
      page.problems.length = 0; // the 400 the browser logs
      page.expectedStatus.clear();
      await page.fill('#paypal-settings input[name=base_url]', '');
      await page.click('#paypal-settings button[type=submit]');
      await page.waitForSelector('#flash :text("PayPal settings saved.")');
      const rows = () => server.sql(`SELECT client_id, client_secret, mode, base_url FROM paypal_settings WHERE program_id = '${alice.program_id}'`);
      assert.deepEqual(rows(), [{ client_id: 'AYclient', client_secret: 'ECsecret-never-shown', mode: 'sandbox', base_url: null }]);
      await page.reload();
      await page.waitForSelector('#paypal-settings');
      assert.equal(await page.inputValue('#paypal-settings input[name=client_secret]'), '');
      assert.equal(await page.getAttribute('#paypal-settings input[name=client_secret]', 'placeholder'), 'set (leave empty to keep it)');
      assert.ok(!(await page.content()).includes('ECsecret-never-shown'), 'the secret is not in the page');
      await screenshot(page, 'admin-paypal-settings');
      page.check();
      await ctx.close();
    });
  } finally {
    await browser.close();
    await server.stop();
  }
});
