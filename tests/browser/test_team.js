'use strict';
// The merchant's team and keys in a real browser: the owner invites a viewer and an admin from the
// Team page, changes a role, creates a key shown once and revokes it; the invited viewer sets a
// password through the emailed link, lands on the dashboard without the Team page and with every
// writing control locked (and the server refuses a write sent anyway); a partner sees its coupons
// with copy buttons. Each page fits a 390 px wide phone; screenshots of each at both widths.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Server, launchBrowser, watchedPage, screenshot } = require('./lib.js');

const PASSWORD = 'a long team password 1';

async function login(page, base, email, password) {
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/(admin|partner)\/$/), page.click('button[type=submit]')]);
}

async function open(page, url) {
  await page.goto(url);
  await page.waitForSelector('#main[data-ready=true]', { timeout: 15000 });
}

// Desktop and phone screenshots; at 390 px what root holds (the page's own content: the header's
// navigation is the frame's) is no wider than the phone, wide tables scrolling inside their box.
async function shoot(page, name, root = '#main') {
  await screenshot(page, `${name}-desktop`);
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate((sel) => {
    const out = [];
    for (const el of document.querySelectorAll(`${sel}, ${sel} *`)) {
      const r = el.getBoundingClientRect();
      const inScroller = el.parentElement && el.parentElement.closest('.table-scroll');
      if (r.width && r.right > window.innerWidth + 0.5 && !inScroller) out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} ends at ${Math.round(r.right)}px`);
    }
    return out;
  }, root);
  assert.deepEqual(wide, [], `${name}: wider than a 390px phone`);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(size);
}

async function acceptInvite(browser, url, label) {
  const ctx = await browser.newContext();
  const page = await watchedPage(ctx, label);
  await page.goto(url);
  await page.waitForSelector('#invite input[name=password]');
  await page.fill('#invite input[name=password]', PASSWORD);
  await page.fill('#invite input[name=password2]', PASSWORD);
  await Promise.all([page.waitForURL(/\/admin\/$/), page.click('#invite button[type=submit]')]);
  await page.waitForSelector('#main[data-ready=true]', { timeout: 15000 });
  return page;
}

test('team and keys', { timeout: 180000 }, async (t) => {
  const server = await new Server().start();
  const browser = await launchBrowser();
  const base = server.base;
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const owner = await watchedPage(ctx, 'owner');
  try {
    await login(owner, base, server.keys.admin_email, server.keys.admin_password);
    await owner.waitForSelector('#main[data-ready=true]');

    const invites = {};
    await t.test('the owner invites users from the Team page and changes a role', async () => {
      assert.deepEqual(await owner.$$eval('#nav a', (as) => as.map((a) => a.textContent).slice(-2)), ['Team', 'API keys']);
      await open(owner, base + '/admin/team');
      for (const [email, role] of [['vic@team.example', 'viewer'], ['ada@team.example', 'admin']]) {
        await owner.fill('#invite-user input[name=email]', email);
        await owner.selectOption('#invite-user select[name=role]', role);
        await owner.click('#invite-user button[type=submit]');
        await owner.waitForFunction((e) => [...document.querySelectorAll('#team td[data-col=email]')].some((td) => td.textContent === e), email);
        invites[role] = (await owner.textContent('#invite-link code')).trim();
        assert.match(invites[role], new RegExp(`^${base}/invite/\\d+-[A-Za-z0-9]{32}$`));
      }
      // A new invite for the viewer replaces the first link (the viewer accepts the new one below).
      await owner.locator('#team tr', { hasText: 'vic@team.example' }).locator('button[data-action=resend]').click();
      await owner.waitForFunction((old) => document.querySelector('#invite-link code').textContent !== old, invites.admin);
      invites.viewer = (await owner.textContent('#invite-link code')).trim();
      assert.match(invites.viewer, new RegExp(`^${base}/invite/\\d+-[A-Za-z0-9]{32}$`));
      const rows = server.sql("SELECT email, role, password_hash = '' AS invited FROM admins ORDER BY created_at");
      assert.deepEqual(rows.slice(1), [{ email: 'vic@team.example', role: 'viewer', invited: 1 }, { email: 'ada@team.example', role: 'admin', invited: 1 }]);
      // The owner's own row: demoting the last owner is refused, and the page says why.
      owner.expectedStatus.add(422);
      const ownRow = owner.locator('#team tr', { hasText: server.keys.admin_email });
      await ownRow.locator('select[data-action=role]').selectOption('viewer');
      await owner.waitForSelector('.flash.error');
      assert.match(await owner.textContent('.flash.error'), /last owner/);
      assert.equal(server.sql("SELECT role FROM admins WHERE email = 'ada@team.example'")[0].role, 'admin');
      const adaRow = owner.locator('#team tr', { hasText: 'ada@team.example' });
      await adaRow.locator('select[data-action=role]').selectOption('viewer');
      await owner.waitForFunction(() => /is now viewer/.test(document.body.textContent));
      assert.equal(server.sql("SELECT role FROM admins WHERE email = 'ada@team.example'")[0].role, 'viewer');
      assert.equal(server.sql("SELECT role FROM admins WHERE email = ?".replace('?', `'${server.keys.admin_email}'`))[0].role, 'owner');
      owner.expectedStatus.delete(422);
      owner.problems = owner.problems.filter((p) => !/status of 422/.test(p)); // the refusal shown
      await shoot(owner, 'admin-team');
      owner.check();
    });

    await t.test('the owner creates a key shown once and revokes it', async () => {
      await open(owner, base + '/admin/keys');
      const before = await owner.$$eval('#keys tbody tr', (trs) => trs.length);
      await owner.selectOption('#create-key select[name=kind]', 'publishable');
      await owner.fill('#create-key input[name=name]', 'storefront');
      await owner.click('#create-key button[type=submit]');
      await owner.waitForSelector('#new-key:not([hidden]) code.secret');
      const key = (await owner.textContent('#new-key code.secret')).trim();
      assert.match(key, /^pd_pk_[A-Za-z0-9]{32}$/);
      await owner.waitForFunction((n) => document.querySelectorAll('#keys tbody tr').length === n + 1, before);
      const row = owner.locator('#keys tr', { hasText: 'storefront' });
      assert.equal((await row.locator('code').textContent()).trim(), `pd_pk_...${key.slice(-4)}`);
      assert.ok(!(await owner.textContent('#keys')).includes(key), 'the list never shows the key');
      await shoot(owner, 'admin-keys');
      await row.locator('button[data-action=revoke]').click();
      await row.locator('button[data-action=revoke]', { hasText: 'Confirm revoke' }).click();
      await owner.waitForFunction((n) => document.querySelectorAll('#keys tbody tr').length === n, before, { timeout: 10000 });
      const [k] = server.sql("SELECT revoked_at FROM api_keys WHERE name = 'storefront'");
      assert.ok(k.revoked_at > 0, 'revoked in the database');
      const r = await server.fetch('/api/v1/clicks', { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: '{"code":"x"}' });
      assert.equal(r.status, 401);
      owner.check();
    });

    await t.test('the owner runs one partner from its page: coupons, links, keys', async () => {
      const [alice] = server.sql("SELECT id FROM partners WHERE email = 'alice@partners.example'");
      await open(owner, base + '/admin/partners');
      await Promise.all([owner.waitForURL(/\/admin\/partner\?id=ptn_/), owner.click(`#partners tr[data-id="${alice.id}"] a`)]);
      await owner.waitForSelector('#main[data-ready=true]');
      assert.match(await owner.textContent('#main h2'), /Alice Runner/);
      assert.ok(await owner.$('#partner-numbers [data-metric=clicks]'), 'the numbers');
      // Coupons: replaced as a set; one held by another partner is refused next to the field.
      await owner.fill('#coupons-form input[name=coupons]', 'alice5, Spring-Alice');
      await owner.click('#coupons-form button[type=submit]');
      await owner.waitForFunction(() => document.querySelector('#partner-coupons').textContent.includes('SPRING-ALICE'));
      assert.deepEqual(server.sql(`SELECT code FROM coupons WHERE partner_id = '${alice.id}' ORDER BY code`).map((r) => r.code), ['ALICE5', 'SPRING-ALICE']);
      const [bob] = server.sql("SELECT id FROM partners WHERE email = 'bob@partners.example'");
      const r = await server.fetch(`/api/v1/partners/${bob.id}`, { method: 'PATCH',
        headers: { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' }, body: '{"coupons":["BOBS"]}' });
      assert.equal(r.status, 200);
      owner.expectedStatus.add(422);
      await owner.fill('#coupons-form input[name=coupons]', 'alice5, bobs');
      await owner.click('#coupons-form button[type=submit]');
      await owner.waitForSelector('#coupons-form .field-error');
      assert.match(await owner.textContent('#coupons-form .field-error'), /BOBS/);
      owner.expectedStatus.delete(422);
      owner.problems = owner.problems.filter((p) => !/status of 422/.test(p));
      // Links: the default link is disabled and enabled again; a new one is edited, then deleted.
      const def = owner.locator('#partner-links tr', { hasText: '/c/alice' }).first();
      await def.locator('button[data-action=disable]').click();
      await owner.waitForFunction(() => /disabled/.test(document.querySelector('#partner-links').textContent));
      assert.equal(server.sql("SELECT disabled FROM links WHERE code = 'alice'")[0].disabled, 1);
      await owner.locator('#partner-links tr', { hasText: '/c/alice' }).first().locator('button[data-action=enable]').click();
      await owner.waitForFunction(() => !/disabled/.test(document.querySelector('#partner-links').textContent));
      assert.equal(server.sql("SELECT disabled FROM links WHERE code = 'alice'")[0].disabled, 0);
      assert.equal(await def.locator('button[data-action=delete]').count(), 0, 'no delete on the default link');
      await owner.fill('#partner-new-link input[name=destination]', 'https://shop.example/new');
      await owner.fill('#partner-new-link input[name=code]', 'alice-new');
      await owner.click('#partner-new-link button[type=submit]');
      await owner.waitForFunction(() => document.querySelector('#partner-links').textContent.includes('/c/alice-new'));
      assert.deepEqual(server.sql("SELECT destination FROM links WHERE code = 'alice-new'"), [{ destination: 'https://shop.example/new' }]);
      const row = () => owner.locator('#partner-links tr', { hasText: '/c/alice-new' });
      await row().locator('button[data-action=edit]').click();
      await row().locator('input[name=destination]').fill('https://shop.example/newer');
      await row().locator('button[data-action=save]').click();
      await owner.waitForFunction(() => document.querySelector('#partner-links').textContent.includes('/newer'));
      assert.equal(server.sql("SELECT destination FROM links WHERE code = 'alice-new'")[0].destination, 'https://shop.example/newer');
      await row().locator('button[data-action=delete]').click();
      await row().locator('button[data-action=delete]').click();
      await owner.waitForFunction(() => !document.querySelector('#partner-links').textContent.includes('alice-new'));
      assert.deepEqual(server.sql("SELECT id FROM links WHERE code = 'alice-new'"), [], 'an unused link is deleted');
      // A key for the partner, shown once.
      const keysBefore = await owner.$$eval('#partner-keys tbody tr', (trs) => trs.length);
      await owner.click('#main button:has-text("Create a key for this partner")');
      await owner.waitForSelector('#partner-new-key:not([hidden]) code.secret');
      assert.match(await owner.textContent('#partner-new-key code.secret'), /^pd_pt_/);
      await owner.waitForFunction((n) => document.querySelectorAll('#partner-keys tbody tr').length === n + 1, keysBefore);
      await shoot(owner, 'admin-partner');
      owner.check();
    });

    await t.test('the owner records a refund from a conversion row', async () => {
      await open(owner, base + '/admin/conversions');
      await owner.waitForSelector('#conversions[data-state=ready] tbody tr');
      const row = owner.locator('#conversions tbody tr').first();
      const id = await row.getAttribute('data-id');
      const [conv] = server.sql(`SELECT order_id, amount, refunded_amount FROM conversions WHERE id = '${id}'`);
      const before = server.sql(`SELECT COUNT(*) AS n FROM refunds`)[0].n;
      await row.locator('button[data-action=refund]').click();
      // More than the order: refused, and the form says so.
      owner.expectedStatus.add(422);
      await row.locator('input[name=amount]').fill(String((conv.amount + 100) / 100));
      await row.locator('button[data-action=save]').click();
      await owner.waitForSelector('.refund-form .field-error');
      owner.expectedStatus.delete(422);
      owner.problems = owner.problems.filter((p) => !/status of 422/.test(p));
      assert.equal(server.sql('SELECT COUNT(*) AS n FROM refunds')[0].n, before, 'nothing recorded');
      await row.locator('input[name=amount]').fill('1.00');
      await row.locator('input[name=reason]').fill('damaged box');
      await row.locator('button[data-action=save]').click();
      await owner.waitForFunction(() => /Refund of \$1\.00 recorded/.test(document.body.textContent));
      const refunds = server.sql(`SELECT amount, reason FROM refunds ORDER BY created_at DESC, id DESC LIMIT 1`);
      assert.deepEqual(refunds, [{ amount: 100, reason: 'damaged box' }]);
      assert.equal(server.sql(`SELECT refunded_amount FROM conversions WHERE id = '${id}'`)[0].refunded_amount, (conv.refunded_amount || 0) + 100);
      await shoot(owner, 'admin-conversions-refund');
      owner.check();
    });

    await t.test('the owner adds a webhook endpoint, sees its deliveries and turns the postback on', async () => {
      await open(owner, base + '/admin/webhooks');
      await owner.fill('#add-webhook input[name=url]', 'https://hooks.example/partnerd');
      await owner.fill('#add-webhook input[name=description]', 'our CRM');
      await owner.click('#add-webhook button[type=submit]');
      await owner.waitForSelector('#webhook-secret:not([hidden]) code.secret');
      assert.match(await owner.textContent('#webhook-secret code.secret'), /^whsec_/);
      const [hook] = server.sql("SELECT id FROM webhook_endpoints WHERE url = 'https://hooks.example/partnerd'");
      assert.ok(hook, 'the endpoint is stored');
      await owner.waitForSelector(`#webhooks tr[data-id="${hook.id}"]`);
      const [prog] = server.sql('SELECT id FROM programs ORDER BY created_at LIMIT 1');
      const r = await server.fetch('/api/v1/conversions', { method: 'POST',
        headers: { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ program_id: prog.id, order_id: 'hook-order-1', amount: 5000, currency: 'USD', ref: 'alice' }) });
      assert.equal(r.status, 201, await r.text());
      await owner.locator(`#webhooks tr[data-id="${hook.id}"] button`, { hasText: 'Deliveries' }).click();
      await owner.waitForSelector('#deliveries[data-state=ready]');
      await owner.waitForFunction(() => /conversion\.created/.test(document.querySelector('#deliveries').textContent));
      // The postback URL: off, on (a token in the URL shown), off again.
      assert.equal(server.sql(`SELECT postback_token FROM programs WHERE id = '${prog.id}'`)[0].postback_token, null);
      await owner.click('#postback button[data-action=enable]');
      await owner.waitForSelector('#postback code.secret');
      const [{ postback_token: token }] = server.sql(`SELECT postback_token FROM programs WHERE id = '${prog.id}'`);
      assert.ok(token && (await owner.textContent('#postback code.secret')).includes(`token=${token}`), 'the URL carries the token');
      await shoot(owner, 'admin-webhooks');
      await owner.click('#postback button[data-action=disable]');
      await owner.waitForSelector('#postback button[data-action=enable]');
      assert.equal(server.sql(`SELECT postback_token FROM programs WHERE id = '${prog.id}'`)[0].postback_token, null);
      owner.check();
    });

    await t.test('an invited viewer sets a password and can change nothing', async () => {
      const viewer = await acceptInvite(browser, invites.viewer, 'viewer');
      const nav = await viewer.$$eval('#nav a', (as) => as.map((a) => a.textContent));
      assert.ok(!nav.includes('Team') && !nav.includes('API keys'), `a viewer's sections: ${nav}`);
      assert.match(await viewer.textContent('#read-only'), /read-only/);
      await open(viewer, base + '/admin/partners');
      assert.equal(await viewer.$eval('#invite button[type=submit]', (b) => b.disabled), true, 'invite partner is disabled');
      const actions = await viewer.$$eval('button[data-action=suspend], button[data-action=approve]', (bs) => bs.map((b) => getComputedStyle(b).display));
      assert.ok(actions.length >= 4, `the partners' row actions are there: ${actions.length}`);
      assert.deepEqual([...new Set(actions)], ['none'], 'and hidden');
      await shoot(viewer, 'admin-viewer-partners');
      await open(viewer, base + '/admin/settings');
      assert.equal(await viewer.$eval('#settings button[type=submit]', (b) => b.disabled), true, 'save settings is disabled');
      // Every page: no visible control that would change something, no enabled form control.
      const [alice] = server.sql("SELECT id FROM partners WHERE email = 'alice@partners.example'");
      for (const p of ['', 'partners', 'conversions', 'commissions', 'payouts', 'settings', 'webhooks', `partner?id=${alice.id}`]) {
        await open(viewer, `${base}/admin/${p}`);
        await viewer.waitForFunction(() => ![...document.querySelectorAll('#main [data-state]')].some((e) => e.dataset.state === 'loading'));
        const open_ = await viewer.evaluate(() => {
          const shown = (e) => getComputedStyle(e).display !== 'none' && e.offsetParent !== null;
          const writes = ['approve', 'suspend', 'reject', 'paid', 'role', 'remove', 'revoke', 'edit', 'disable', 'enable', 'delete', 'save', 'refund', 'resend'];
          return [...document.querySelectorAll('#main [data-action]')].filter((e) => writes.includes(e.dataset.action) && shown(e)).map((e) => e.dataset.action)
            .concat([...document.querySelectorAll('#main form:not(.filters) :is(input, select, textarea, button)')].filter((e) => !e.disabled).map((e) => e.name || e.textContent));
        });
        assert.deepEqual(open_, [], `/admin/${p}: controls a viewer could use to change something`);
      }
      // A write sent anyway, with the session's CSRF token, is refused by the server.
      viewer.expectedStatus.add(403);
      const answer = await viewer.evaluate(async () => {
        const s = await (await fetch('/web/session')).json();
        const r = await fetch('/api/v1/programs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
          body: JSON.stringify({ name: 'x', currency: 'USD', allowed_hosts: ['a.example'], default_url: 'https://a.example/' }) });
        return { status: r.status, body: await r.json() };
      });
      assert.equal(answer.status, 403);
      assert.match(answer.body.error.message, /viewer/);
      viewer.expectedStatus.add(403);
      viewer.problems.length = 0;
      await viewer.close();
    });

    await t.test('a partner sees its coupons with copy buttons', async () => {
      const [alice] = server.sql("SELECT id FROM partners WHERE email = 'alice@partners.example'");
      const r = await server.fetch(`/api/v1/partners/${alice.id}`, { method: 'PATCH',
        headers: { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ coupons: ['ALICE10', 'vip-alice'] }) });
      assert.equal(r.status, 200, await r.text());
      const pctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const partner = await watchedPage(pctx, 'partner');
      await login(partner, base, 'alice@partners.example', 'demo-partner-pass');
      await partner.waitForSelector('#main[data-ready=true]');
      assert.deepEqual(await partner.$$eval('#coupons li code', (cs) => cs.map((c) => c.textContent)), ['ALICE10', 'VIP-ALICE']);
      assert.deepEqual(await partner.$$eval('#coupons button.copy', (bs) => bs.map((b) => b.dataset.copy)), ['ALICE10', 'VIP-ALICE']);
      await shoot(partner, 'partner-coupons', '#coupons');
      partner.check();
      await pctx.close();
    });
  } finally {
    await browser.close();
    await server.stop();
  }
});
