'use strict';
// What a merchant does in the dashboard without the API: create a program (the first one and
// more), edit the commission rules as rows (percent with decimals, flat amounts in the currency,
// conditions, order) and as JSON, see the server's validation on the row at fault, set the
// parent share as a percentage, enable / rotate / turn off the postback token, read commission
// explanations in money, pick a report period, add a webhook endpoint (secret once, deliveries,
// delete) and record a refund from a conversion's row. Each result is read back from the
// database; each new page fits a 390 px phone without console errors (screenshots of each).
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const { Server, launchBrowser, watchedPage, screenshot, usd } = require('./lib.js');
const { login, ready, settled } = require('./dash.js');

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
const DAY_EXPR = "(CAST(strftime('%s','now') AS INTEGER) / 86400)";

async function fitsPhone(browser, base, email, password, path, name) {
  const ctx = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const page = await watchedPage(ctx, `${name} phone`);
  try {
    await login(page, base, email, password);
    await page.goto(base + path);
    await settled(page);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= PHONE.width, `${name}: ${wide} px wide on a ${PHONE.width} px phone`);
    await screenshot(page, `${name}-phone`);
    page.check();
  } finally { await ctx.close(); }
}

// Saves the settings form and waits for the server's answer (a flash of an earlier save may still
// be on screen, so the flash alone does not say this one is done).
async function saveSettings(page) {
  const [r] = await Promise.all([
    page.waitForResponse((x) => x.request().method() === 'PATCH' && /\/api\/v1\/programs\//.test(x.url())),
    page.click('#settings button[type=submit]'),
  ]);
  assert.equal(r.status(), 200, await r.text());
  await page.waitForSelector('.flash:text("Settings saved")');
}

test('merchant tools', { timeout: 220000 }, async (t) => {
  const received = [];
  const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { received.push({ headers: req.headers, body }); res.end('ok'); });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${receiver.address().port}/hook`;
  const browser = await launchBrowser();
  const empty = await new Server().start({ demo: false });
  const server = await new Server().start({ args: ['--webhook_allow_private', '1', '--webhook_poll_ms', '100'] });
  const base = server.base;
  const key = server.keys.secret_key;
  const apiCall = async (method, path, body) => {
    const r = await server.fetch(path, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await r.json();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const [prog] = server.sql('SELECT id FROM programs');
  try {
    await t.test('with no program, the dashboard offers to create one; then "New program" adds another', async () => {
      const ctx = await browser.newContext({ viewport: DESKTOP });
      const page = await watchedPage(ctx, 'first program');
      await login(page, empty.base, empty.keys.admin_email, empty.keys.admin_password);
      await ready(page);
      await page.waitForSelector('#create-program');
      assert.doesNotMatch(await page.textContent('#main'), /POST \/api\/v1\/programs/);
      await screenshot(page, 'admin-create-program');
      await page.click('#create-program button[type=submit]');
      await page.waitForSelector('#create-program .field-error');
      assert.equal(empty.sql('SELECT COUNT(*) n FROM programs')[0].n, 0);
      await page.fill('#create-program input[name=name]', 'Acme <b>partners</b>');
      await page.selectOption('#create-program select[name=currency]', 'EUR');
      await page.fill('#create-program input[name=default_url]', 'https://shop.acme.example/welcome');
      await page.fill('#create-program input[name=bps]', '12.5');
      await Promise.all([page.waitForURL(/\/admin\/settings$/), page.click('#create-program button[type=submit]')]);
      await settled(page);
      const [p] = empty.sql('SELECT id, name, currency, allowed_hosts, default_url, rules FROM programs');
      assert.deepEqual({ name: p.name, currency: p.currency, hosts: JSON.parse(p.allowed_hosts), url: p.default_url, rules: JSON.parse(p.rules) },
        { name: 'Acme <b>partners</b>', currency: 'EUR', hosts: ['shop.acme.example'], url: 'https://shop.acme.example/welcome', rules: [{ id: 'r0', type: 'percent', bps: 1250 }] });
      assert.equal(await page.inputValue('#settings input[name=name]'), 'Acme <b>partners</b>', 'shown as text');
      assert.equal(await page.inputValue('#rule-rows [data-key=bps]'), '12.50');
      page.check();

      await page.click('button[data-action=new-program]');
      await page.fill('#create-program input[name=name]', 'Second shop');
      await page.fill('#create-program input[name=default_url]', 'https://second.example/');
      await page.fill('#create-program input[name=allowed_hosts]', 'second.example, *.second.example');
      await Promise.all([page.waitForNavigation(), page.click('#create-program button[type=submit]')]);
      await settled(page);
      const rows = empty.sql('SELECT id, name, allowed_hosts, rules FROM programs ORDER BY id');
      assert.equal(rows.length, 2);
      assert.deepEqual(JSON.parse(rows[1].allowed_hosts), ['second.example', '*.second.example']);
      assert.deepEqual(JSON.parse(rows[1].rules), [{ id: 'r0', type: 'percent', bps: 1000 }]);
      assert.equal(await page.inputValue('select.program-select'), rows[1].id, 'the new program is the one shown');
      assert.equal(await page.inputValue('#settings input[name=name]'), 'Second shop');
      page.check();
      await ctx.close();
      await fitsPhone(browser, empty.base, empty.keys.admin_email, empty.keys.admin_password, '/admin/settings', 'admin-settings-new-program');
    });

    const ctx = await browser.newContext({ viewport: DESKTOP });
    const admin = await watchedPage(ctx, 'admin');
    await login(admin, base, 'admin@shop.example', server.keys.admin_password);

    await t.test('commission rules as rows: add, conditions, reorder, remove, save', async () => {
      await admin.goto(base + '/admin/settings');
      await settled(admin);
      const before = JSON.parse(server.sql('SELECT rules FROM programs')[0].rules);
      assert.equal(await admin.locator('#rule-rows > li').count(), before.length);
      assert.equal(await admin.inputValue('#rule-rows > li:nth-child(1) [data-key=bps]'), '10.00');
      // a flat 5.00 for SKU-1 first purchases, moved above the others
      // element handles: the rows move, a locator would find another row after a move
      const lastRow = () => admin.$('#rule-rows > li:last-child');
      const inRow = async (row, sel) => row.$(sel);
      await admin.click('button[data-action=add-rule]');
      const row = await lastRow();
      await (await inRow(row, '[data-key=type]')).selectOption('flat');
      await (await inRow(row, '[data-key=amount]')).fill('5.00');
      await (await inRow(row, 'select.rule-add')).selectOption('sku');
      await (await inRow(row, '[data-key="match.sku"]')).fill('SKU-1');
      await (await inRow(row, 'select.rule-add')).selectOption('first_purchase');
      await (await inRow(row, 'select.rule-add')).selectOption('min_amount');
      await (await inRow(row, '[data-key="match.min_amount"]')).fill('20');
      await (await inRow(row, 'button[data-action=up]')).click();
      await (await inRow(row, 'button[data-action=up]')).click();
      assert.equal(await admin.$eval('#rule-rows > li:first-child [data-key=amount]', (i) => i.value), '5.00', 'moved to the top');
      // a 12.5 % rule for the vip group's repeat purchases; the shoes rule removed
      await admin.click('button[data-action=add-rule]');
      const vip = await lastRow();
      await (await inRow(vip, '[data-key=bps]')).fill('12.5');
      await (await inRow(vip, 'select.rule-add')).selectOption('group');
      await (await inRow(vip, '[data-key="match.group"]')).fill('vip');
      await (await inRow(vip, 'select.rule-add')).selectOption('first_purchase');
      await (await inRow(vip, '[data-key="match.first_purchase"]')).selectOption('false');
      await (await inRow(vip, '[data-key=id]')).fill('vip-repeat');
      await admin.click('#rule-rows > li:nth-child(3) button[data-action=remove-rule]');
      await screenshot(admin, 'admin-settings-rules');
      await saveSettings(admin);
      const saved = JSON.parse(server.sql('SELECT rules FROM programs')[0].rules);
      assert.deepEqual(saved, [
        // a rule without an id keeps the one the server gave it by its place (r0); a new one the first free
        { id: 'r1', type: 'flat', amount: 500, match: { sku: 'SKU-1', first_purchase: true, min_amount: 2000 } },
        { id: 'r0', ...before[0] },
        { id: 'vip-repeat', type: 'percent', bps: 1250, match: { group: 'vip', first_purchase: false } },
      ]);
      admin.check();
    });

    await t.test('the JSON editor stays in sync with the rows, both ways', async () => {
      const rows = JSON.parse(server.sql('SELECT rules FROM programs')[0].rules);
      await admin.locator('#rule-rows > li:nth-child(2) [data-key=bps]').fill('7.25');
      await admin.click('#rules-json-toggle');
      const shown = JSON.parse(await admin.inputValue('textarea[name=rules]'));
      assert.deepEqual(shown, [rows[0], { ...rows[1], bps: 725 }, rows[2]]);
      const edited = [{ id: 'tiered', type: 'percent', tiers: [{ from: 0, bps: 800 }, { from: 100000, bps: 1050 }] }, rows[2]];
      await admin.fill('textarea[name=rules]', JSON.stringify(edited));
      await admin.click('#rules-json-toggle');
      assert.equal(await admin.locator('#rule-rows > li').count(), 2);
      assert.equal(await admin.inputValue('#rule-rows > li:nth-child(1) [data-key=type]'), 'tiers');
      assert.deepEqual(await admin.$$eval('#rule-rows > li:nth-child(1) .rule-tier input', (is) => is.map((i) => i.value)), ['0.00', '8.00', '1000.00', '10.50']);
      await saveSettings(admin);
      assert.deepEqual(JSON.parse(server.sql('SELECT rules FROM programs')[0].rules), edited);
      admin.check();
    });

    await t.test("the server's error shows on the row and field at fault", async () => {
      admin.expectedStatus.add(422).add(400);
      await admin.locator('#rule-rows > li:nth-child(2) [data-key=bps]').fill('150');
      await admin.click('#settings button[type=submit]');
      const err = admin.locator('#rule-rows > li:nth-child(2) .field-error');
      await err.waitFor();
      assert.equal(await err.getAttribute('data-param'), 'rules[1].bps');
      assert.match(await err.textContent(), /^Rule #2: .*bps.*10000/);
      assert.equal(await admin.getAttribute('#rule-rows > li:nth-child(2) [data-key=bps]', 'aria-invalid'), 'true');
      await screenshot(admin, 'admin-settings-rule-error');
      // two rules with one id: the second row's id
      await admin.locator('#rule-rows > li:nth-child(2) [data-key=bps]').fill('15');
      await admin.locator('#rule-rows > li:nth-child(2) [data-key=id]').fill('tiered');
      await admin.click('#settings button[type=submit]');
      await admin.waitForSelector('#rule-rows > li:nth-child(2) .field-error[data-param="rules[1].id"]');
      assert.equal(await admin.locator('#rule-rows > li:nth-child(1) .field-error').count(), 0);
      admin.problems.length = 0; // the refused saves' console lines
      admin.expectedStatus.clear();
      assert.equal(JSON.parse(server.sql('SELECT rules FROM programs')[0].rules).length, 2, 'nothing saved');
      await admin.locator('#rule-rows > li:nth-child(2) [data-key=id]').fill('vip-repeat');
      await admin.fill('#settings input[name=parent_bps]', '12.5');
      await saveSettings(admin);
      const [p] = server.sql('SELECT parent_bps, rules FROM programs');
      assert.equal(p.parent_bps, 1250);
      assert.equal(JSON.parse(p.rules)[1].bps, 1500);
      await admin.reload();
      await settled(admin);
      assert.equal(await admin.inputValue('#settings input[name=parent_bps]'), '12.50');
      admin.check();
    });

    await t.test('the postback token: enable, the URL template, rotate, turn off', async () => {
      await admin.click('button[data-action=enable-postback]');
      await admin.waitForSelector('#postback-url');
      const token = () => server.sql('SELECT postback_token t FROM programs')[0].t;
      const first = token();
      assert.match(first, /^[A-Za-z0-9]{32}$/);
      assert.equal(await admin.textContent('#postback-url'),
        `${base}/postback?token=${first}&click_id={click_id}&order_id={order_id}&amount={amount}&currency=USD`);
      const fire = (tok, order) => server.fetch(`/postback?token=${tok}&order_id=${order}&amount=12.34&currency=USD`);
      assert.equal((await fire(first, 'pb-1')).status, 200);
      await screenshot(admin, 'admin-settings-postback');
      await admin.click('button[data-action=rotate-postback]');
      await admin.click('button[data-action=rotate-confirm]');
      await admin.waitForSelector('.flash:text("New postback token")');
      const second = token();
      assert.ok(second && second !== first);
      assert.ok((await admin.textContent('#postback-url')).includes(second));
      assert.equal((await fire(first, 'pb-2')).status, 403, 'the old token is refused');
      assert.equal((await fire(second, 'pb-3')).status, 200);
      await admin.click('button[data-action=disable-postback]');
      await admin.waitForSelector('button[data-action=enable-postback]');
      assert.equal(token(), null);
      admin.check();
    });

    await t.test('commission explanations are in money', async () => {
      await apiCall('PATCH', `/api/v1/programs/${prog.id}`, { rules: [{ id: 'r2', type: 'percent', bps: 1000 }], parent_bps: 0 });
      const conv = await apiCall('POST', '/api/v1/conversions', { program_id: prog.id, order_id: 'explain-1', amount: 21485, currency: 'USD', ref: 'alice' });
      const [c] = server.sql(`SELECT id, rule_version v FROM commissions WHERE conversion_id = '${conv.id}'`);
      await admin.goto(base + '/admin/commissions');
      await ready(admin, '#commissions[data-state=ready]');
      const text = (await admin.textContent(`#commissions tr[data-id="${c.id}"] [data-col=explanation]`)).trim();
      assert.equal(text, `Order of $214.85: 10.00 % of $214.85 = $21.48, rounded half to even (rule r2, version ${c.v}); total $21.48`);
      for (const tr of await admin.$$('#commissions tbody tr')) {
        const e = await tr.$eval('[data-col=explanation]', (td) => td.textContent);
        assert.doesNotMatch(e, /\bbps\b|\d+ \* \d+/, `no minor units or basis points: ${e}`);
      }
      await screenshot(admin, 'admin-commissions-explained');
      // every kind of explanation the server writes
      const cases = await admin.evaluate(async () => {
        const { explainMoney, parsePercent, bpsPercent } = await import('/assets/explain.js');
        const rates = ['12.5', '12,50 %', '7', '0.01', '100', '12.555', 'ten', '-1', ''].map(parsePercent);
        if (JSON.stringify(rates) !== '[1250,1250,700,1,10000,null,null,null,null]') return [`parsePercent: ${JSON.stringify(rates)}`];
        if ([1250, 5, 0, 10000].map(bpsPercent).join('|') !== '12.50 %|0.05 %|0.00 %|100.00 %') return ['bpsPercent'];
        const x = (explanation, extra = {}) => explainMoney({ explanation, currency: 'USD', rule_version: 4, ...extra });
        return [
          x('item 0 (sku A, category shoes) 2 x 1000 = 2000 -> rule s percent 1500 bps: 2000 * 1500 / 10000 = 300; item 1 (sku B, category -) 1 x 500 = 500 -> no rule; total 300'),
          x('order 5000 -> rule f flat 500 per conversion; total 500'),
          x('order 1001 -> rule t percent, tier from 100000 (month revenue before 250000) 1050 bps: 1001 * 1050 / 10000 = 105 (rounded half to even); total 105'),
          x('item 0 (sku A, category -) 1 x 100 = 100 -> rule a percent 1000 bps: 100 * 1000 / 10000 = 10; item 1 (sku B, category -) 1 x 200 = 200 -> rule b flat 300 per conversion; total a 10 + b 300 = 310; monthly cap 20000 with 19800 earned this month: cut by 110 to 200'),
          x('level 1 parent of ptn_abc: 2148 * 1250 bps / 10000 = 268 (half to even)'),
          x('lead rule l: flat 250', { currency: 'JPY' }),
        ];
      });
      assert.deepEqual(cases, [
        'item 1 (sku A, category shoes) 2 × $10.00 = $20.00: 15.00 % of $20.00 = $3.00 (rule s, version 4); item 2 (sku B, category -) $5.00: no rule matched; total $3.00',
        'Order of $50.00: $5.00 flat per order (rule f, version 4); total $5.00',
        'Order of $10.01: 10.50 % of $10.01 = $1.05, rounded half to even (rule t, version 4), the tier from $1,000.00 (revenue this month before: $2,500.00); total $1.05',
        'item 1 (sku A, category -) $1.00: 10.00 % of $1.00 = $0.10 (rule a, version 4); item 2 (sku B, category -) $2.00: $3.00 flat per order (rule b, version 4); total a $0.10 + b $3.00 = $3.10; monthly cap $200.00 with $198.00 earned this month: cut by $1.10 to $2.00',
        'level 1 parent share: 12.50 % of $21.48 = $2.68, rounded half to even of ptn_abc’s commission',
        '¥250 per lead (rule l, version 4)',
      ]);
      admin.check();
    });

    await t.test('every report takes a period: presets and custom dates', async () => {
      await admin.goto(base + '/admin/');
      await settled(admin);
      const sums = (from, to) => server.sql(`SELECT COALESCE(SUM(clicks),0) c, COALESCE(SUM(commission),0) m FROM daily_stats WHERE program_id = '${prog.id}' AND day >= ${from} AND day <= ${to}`)[0];
      const cards = async () => ({ c: Number((await admin.textContent('#totals [data-metric=clicks] .value')).replace(/,/g, '')),
        m: (await admin.textContent('#totals [data-metric=commission] .value')).trim() });
      const reloaded = async (action) => {
        await admin.evaluate(() => { document.querySelector('#totals').dataset.old = '1'; });
        await action();
        await admin.waitForSelector('#overview[data-state=ready] #totals:not([data-old])');
      };
      const all = sums(`${DAY_EXPR} - 29`, DAY_EXPR);
      assert.deepEqual(await cards(), { c: all.c, m: usd(all.m) });
      await reloaded(() => admin.selectOption('select[name=range]', '7d'));
      const week = sums(`${DAY_EXPR} - 6`, DAY_EXPR);
      assert.deepEqual(await cards(), { c: week.c, m: usd(week.m) });
      assert.ok(week.c < all.c, 'the demo has clicks before the last week');
      assert.match(await admin.textContent('#main h2'), /last 7 days/);
      assert.match(await admin.textContent('#totals [data-metric=conversion-rate] .value'), /^\d+\.\d{2} %$/, 'a rate as a percentage with two decimals');
      const day = (n) => new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
      await reloaded(() => admin.selectOption('select[name=range]', 'custom'));
      assert.deepEqual([await admin.inputValue('input[name=from]'), await admin.inputValue('input[name=to]')], [day(6), day(0)], 'custom starts from the period shown');
      assert.deepEqual(await cards(), { c: week.c, m: usd(week.m) });
      await reloaded(() => admin.fill('input[name=from]', day(20)));
      await reloaded(() => admin.fill('input[name=to]', day(10)));
      const custom = sums(`${DAY_EXPR} - 20`, `${DAY_EXPR} - 10`);
      assert.deepEqual(await cards(), { c: custom.c, m: usd(custom.m) });
      assert.equal(await admin.textContent('#period'), `${day(20)} to ${day(10)} (UTC days)`);
      // a period in the past: no day marked as still in progress
      await admin.waitForSelector('.charts .chart[data-chart=activity] .uplot');
      assert.equal(await admin.getAttribute('.charts', 'data-partial-day'), null);
      assert.equal(await admin.locator('.chart-note').count(), 0);
      assert.doesNotMatch(await admin.textContent('.charts'), /null|undefined/);
      const partners = server.sql(`SELECT COUNT(DISTINCT partner_id) n FROM daily_stats WHERE program_id = '${prog.id}' AND day >= ${DAY_EXPR} - 20 AND day <= ${DAY_EXPR} - 10 AND partner_id IS NOT NULL`)[0].n;
      assert.equal(await admin.locator('#overview section:nth-child(2) tbody tr').count(), partners);
      await screenshot(admin, 'admin-overview-range');
      // the period stays chosen on the next visit
      await admin.reload();
      await settled(admin);
      assert.equal(await admin.inputValue('select[name=range]'), 'custom');
      assert.deepEqual(await cards(), { c: custom.c, m: usd(custom.m) });
      await reloaded(() => admin.selectOption('select[name=range]', '30d'));
      admin.check();
    });

    await t.test('webhooks: add an endpoint, its secret once, its deliveries, delete it', async () => {
      await admin.goto(base + '/admin/webhooks');
      await settled(admin);
      await admin.fill('#create-webhook input[name=url]', hookUrl);
      await admin.fill('#create-webhook input[name=description]', 'CRM <sync>');
      await admin.uncheck('#create-webhook input[value="commission.created"]');
      await admin.click('#create-webhook button[type=submit]');
      await admin.waitForSelector('#webhook-secret');
      const secret = (await admin.textContent('#webhook-secret')).trim();
      const [ep] = server.sql('SELECT id, url, secret, events, description FROM webhook_endpoints');
      assert.equal(secret, ep.secret);
      assert.equal(ep.url, hookUrl);
      assert.equal(ep.description, 'CRM <sync>');
      assert.deepEqual(JSON.parse(ep.events).sort(), ['commission.approved', 'commission.reversed', 'conversion.created', 'payout.created', 'payout.paid']);
      await admin.waitForSelector(`#webhooks tr[data-id="${ep.id}"]`);
      await screenshot(admin, 'admin-webhooks');
      const conv = await apiCall('POST', '/api/v1/conversions', { program_id: prog.id, order_id: 'hook-1', amount: 1000, currency: 'USD', ref: 'bob' });
      await admin.reload();
      await settled(admin);
      assert.ok(!(await admin.textContent('body')).includes(secret), 'the secret is shown only once');
      await admin.click(`#webhooks tr[data-id="${ep.id}"] button[data-action=deliveries]`);
      await admin.waitForSelector('#deliveries[data-state=ready]');
      const delivered = () => admin.$$eval('#deliveries td[data-col=status]', (tds) => tds.some((td) => td.textContent === 'delivered'));
      for (let i = 0; !(await delivered()); i++) {
        assert.ok(i < 100, `the delivery is made: ${await admin.textContent('#deliveries')}`);
        await admin.click('button[data-action=refresh]');
        await admin.waitForSelector('#deliveries[data-state=ready]');
      }
      const got = received.find((r) => JSON.parse(r.body).data.id === conv.id);
      assert.ok(got, 'the receiver has the conversion');
      const [, ts, v1] = /^t=(\d+),v1=([0-9a-f]+)$/.exec(got.headers['partnerd-signature']);
      assert.equal(v1, crypto.createHmac('sha256', secret).update(`${ts}.${got.body}`).digest('hex'), 'signed with the secret shown');
      assert.match(await admin.textContent('#deliveries tbody tr:first-child'), /conversion\.created.*delivered.*HTTP 200/s);
      await screenshot(admin, 'admin-webhooks-deliveries');
      await admin.click(`#webhooks tr[data-id="${ep.id}"] button[data-action=delete]`);
      await admin.click(`#webhooks tr[data-id="${ep.id}"] button[data-action=delete-confirm]`);
      await admin.waitForSelector('.flash:text("Endpoint deleted")');
      await admin.waitForSelector('#webhooks .state.empty');
      assert.equal(server.sql('SELECT COUNT(*) n FROM webhook_endpoints')[0].n, 0);
      admin.check();
    });

    await t.test('a refund from the conversion row: part, then the rest by default', async () => {
      await admin.goto(base + '/admin/conversions');
      await ready(admin, '#conversions[data-state=ready]');
      const [c] = server.sql("SELECT id, amount FROM conversions WHERE order_id = 'explain-1'");
      const row = admin.locator(`#conversions tr[data-id="${c.id}"]`);
      await row.locator('button[data-action=refund]').click();
      assert.equal(await row.locator('input[name=refund_amount]').inputValue(), '214.85', 'in full by default');
      await row.locator('input[name=refund_amount]').fill('100.00');
      await row.locator('input[name=refund_reason]').fill('one item returned');
      await screenshot(admin, 'admin-conversions-refund');
      await row.locator('button[type=submit]').click();
      await admin.waitForSelector('.flash:text("Refund of $100.00 recorded")');
      await admin.waitForSelector(`#conversions[data-state=ready] tr[data-id="${c.id}"] [data-col=refunded_amount]:text("$100.00")`);
      const [k] = server.sql(`SELECT amount, reversed FROM commissions WHERE conversion_id = '${c.id}'`);
      assert.equal(server.sql(`SELECT refunded_amount r FROM conversions WHERE id = '${c.id}'`)[0].r, 10000);
      assert.equal(k.reversed, Math.round(k.amount * 10000 / c.amount)); // 2148 * 10000 / 21485 = 999.76…
      await row.locator('button[data-action=refund]').click();
      assert.equal(await row.locator('input[name=refund_amount]').inputValue(), '114.85', 'what is left');
      await row.locator('button[type=submit]').click();
      await admin.waitForSelector(`#conversions[data-state=ready] tr[data-id="${c.id}"] [data-col=refunded_amount]:text("$214.85")`);
      assert.equal(server.sql(`SELECT reversed FROM commissions WHERE conversion_id = '${c.id}'`)[0].reversed, k.amount, 'a full refund reverses all');
      assert.equal(await row.locator('button[data-action=refund]').count(), 0);
      admin.check();
    });
    await ctx.close();

    await t.test('the new pages fit a phone', async () => {
      for (const [path, name] of [['/admin/', 'admin-overview-range'], ['/admin/settings', 'admin-settings'], ['/admin/webhooks', 'admin-webhooks'], ['/admin/conversions', 'admin-conversions'], ['/admin/commissions', 'admin-commissions']])
        await fitsPhone(browser, base, 'admin@shop.example', server.keys.admin_password, path, name);
    });
  } finally {
    await browser.close();
    receiver.close();
    await empty.stop();
    await server.stop();
  }
});
