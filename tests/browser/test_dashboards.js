'use strict';
// The dashboards in a real browser: a partner sees exactly their own numbers, the merchant runs
// the program (invite, approve, settings, payouts) through the UI, CSRF and session rules hold,
// and no page has a script error. Screenshots of every main page go to PD_SCREENSHOTS.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { Server, launchBrowser, watchedPage, screenshot, usd } = require('./lib.js');

const PARTNER_PW = 'demo-partner-pass';
const DAY_EXPR = "(CAST(strftime('%s','now') AS INTEGER) / 86400)";

async function login(page, base, email, password) {
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/(admin|partner)\/$/), page.click('button[type=submit]')]);
}

async function ready(page, selector = '#main[data-ready=true]') {
  await page.waitForSelector(selector, { timeout: 15000 });
}

// Pages a server-paged list (#id) with its Older button to the end, checking each page against
// the database's ids (newest first), then once back with Newer. Returns the number of rows seen.
async function pageThrough(page, id, ids) {
  const rowIds = () => page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => tr.dataset.id));
  assert.ok(ids.length > 25, `more ${id} than a page (${ids.length})`);
  const seen = [];
  for (;;) {
    const shown = await rowIds();
    assert.deepEqual(shown, ids.slice(seen.length, seen.length + shown.length), `page ${seen.length / 25 + 1} of ${id}`);
    seen.push(...shown);
    const older = page.locator(`#${id} button[data-action=older]`);
    if (await older.isDisabled()) break;
    await older.click();
    await page.waitForFunction(([sel, first]) => {
      const tr = document.querySelector(`${sel}[data-state=ready] tbody tr`);
      return tr && tr.dataset.id !== first;
    }, [`#${id}`, shown[0]]);
  }
  assert.equal(seen.length, ids.length, `every ${id} row, once`);
  assert.equal(seen[seen.length - 1], ids[ids.length - 1], `the oldest of ${id} on the last page`);
  const last = await rowIds();
  await page.click(`#${id} button[data-action=newer]`);
  await page.waitForFunction(([sel, first]) => {
    const tr = document.querySelector(`${sel}[data-state=ready] tbody tr`);
    return tr && tr.dataset.id !== first;
  }, [`#${id}`, last[0]]);
  const back = await rowIds();
  assert.deepEqual(back, ids.slice(ids.indexOf(last[0]) - back.length, ids.indexOf(last[0])), `Newer from the last page of ${id}`);
  return seen.length;
}

async function cardValue(page, scope, metric) {
  return (await page.textContent(`${scope} [data-metric=${metric}] .value`)).trim();
}

test('dashboards', { timeout: 180000 }, async (t) => {
  const server = await new Server().start();
  const browser = await launchBrowser();
  const base = server.base;
  const [alice] = server.sql("SELECT id FROM partners WHERE email = 'alice@partners.example'");
  const others = server.sql("SELECT name, email, ref_code FROM partners WHERE email <> 'alice@partners.example'");
  try {
    await t.test('every HTML page and asset carries the security headers, with no inline script', async () => {
      for (const p of ['/login', '/invite/1-x', '/assets/app.css', '/assets/admin.js']) {
        const r = await server.fetch(p);
        const csp = r.headers.get('content-security-policy') || '';
        assert.match(csp, /script-src 'self'/, p);
        assert.match(csp, /frame-ancestors 'none'/, p);
        assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, p);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
        assert.ok(r.headers.get('referrer-policy'), p);
        if (p.endsWith('.css') || p.endsWith('.js')) continue;
        const html = await r.text();
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${p} has an inline script`);
        assert.doesNotMatch(html, /\son[a-z]+=/i, `${p} has an inline event handler`);
      }
      const r = await server.fetch('/admin/');
      assert.equal(r.status, 302);
      assert.equal(r.headers.get('location'), '/login?next=%2Fadmin%2F');
    });

    await t.test('the demo prints its dashboard logins', () => {
      assert.match(server.demoOut, /admin@shop.example +the admin password `partnerd init` printed/);
      assert.match(server.demoOut, new RegExp(`alice@partners.example +${PARTNER_PW}`));
    });

    const ctxP = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(ctxP, 'partner');

    await t.test('login page: wrong password says so, and the cookie is HttpOnly and SameSite=Lax', async () => {
      await page.goto(base + '/login');
      await screenshot(page, 'login');
      page.expectedStatus.add(401);
      await page.fill('input[name=email]', 'alice@partners.example');
      await page.fill('input[name=password]', 'not the password');
      await page.click('button[type=submit]');
      await page.waitForSelector('.field-error');
      assert.match(await page.textContent('.field-error'), /Wrong email or password/);
      page.expectedStatus.delete(401);
      page.problems.length = 0; // the 401 shows in the console as a failed resource
      await login(page, base, 'alice@partners.example', PARTNER_PW);
      const [cookie] = await ctxP.cookies();
      assert.equal(cookie.name, 'pd_session');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Lax');
      assert.equal(cookie.secure, false); // plain http here; https public_url → Secure + __Host-
    });

    await t.test('a partner sees exactly their numbers', async () => {
      await ready(page);
      await page.waitForSelector('.chart .uplot');
      const [bal] = server.sql(`SELECT COALESCE(SUM(pending),0) p, COALESCE(SUM(approved),0) a, COALESCE(SUM(paid),0) d FROM ledger_entries WHERE partner_id = '${alice.id}'`);
      assert.equal(await cardValue(page, '#balance', 'pending'), usd(bal.p));
      assert.equal(await cardValue(page, '#balance', 'approved'), usd(bal.a));
      assert.equal(await cardValue(page, '#balance', 'paid'), usd(bal.d));
      const [tot] = server.sql(`SELECT SUM(clicks) c, SUM(conversions) v, SUM(commission) m FROM daily_stats WHERE partner_id = '${alice.id}' AND day >= ${DAY_EXPR} - 29 AND day <= ${DAY_EXPR}`);
      assert.ok(tot.c > 0 && tot.v > 0, 'the demo gives alice clicks and conversions');
      assert.equal(await cardValue(page, '#totals', 'clicks'), tot.c.toLocaleString('en'));
      assert.equal(await cardValue(page, '#totals', 'conversions'), tot.v.toLocaleString('en'));
      assert.equal(await cardValue(page, '#totals', 'commission'), usd(tot.m));
      assert.equal(await page.textContent('#default-link'), `${base}/c/alice`);
      await screenshot(page, 'partner-overview');
      // The period picker: the last 7 days count only those days.
      const [week] = server.sql(`SELECT COALESCE(SUM(clicks),0) c FROM daily_stats WHERE partner_id = '${alice.id}' AND day >= ${DAY_EXPR} - 6 AND day <= ${DAY_EXPR}`);
      await page.selectOption('#main select[name=range]', '7d');
      await page.waitForFunction(() => /last 7 days/.test(document.querySelector('#period-report h2')?.textContent || ''));
      assert.equal(await cardValue(page, '#totals', 'clicks'), week.c.toLocaleString('en'));
      await page.selectOption('#main select[name=range]', '30d');
      await page.waitForFunction(() => /last 30 days/.test(document.querySelector('#period-report h2')?.textContent || ''));
      page.check();

      await page.goto(base + '/partner/commissions');
      await ready(page, '#commissions[data-state=ready]');
      const ids = server.sql(`SELECT id FROM commissions WHERE partner_id = '${alice.id}' ORDER BY id DESC`).map((r) => r.id);
      assert.match(await page.textContent('#commissions .count'), /^25 rows, newest first$/);
      await screenshot(page, 'partner-commissions');
      assert.match(await page.textContent('#commissions tbody tr:first-child [data-col=explanation]'), /\S/);
      // the newest first, and Older reaches the oldest (the list pages on the server)
      assert.equal(await pageThrough(page, 'commissions', ids), ids.length);
      page.check();

      for (const slug of ['', 'links', 'commissions', 'payouts', 'keys', 'settings']) {
        await page.goto(`${base}/partner/${slug}`);
        await ready(page);
        await page.waitForFunction(() => !document.querySelector('[data-state=loading]'));
        const text = await page.textContent('body');
        for (const o of others) {
          assert.ok(!text.includes(o.email), `${slug}: shows ${o.email}`);
          assert.ok(!text.includes(o.name), `${slug}: shows ${o.name}`);
        }
        if (slug === 'links' || slug === 'payouts' || slug === 'settings') await screenshot(page, `partner-${slug}`);
        page.check();
      }
    });

    await t.test("a partner's session cannot read other partners through the API", async () => {
      const res = await page.evaluate(async (bob) => {
        const get = async (p) => { const r = await fetch(p); return { s: r.status, b: await r.json() }; };
        return {
          partners: (await get('/api/v1/partners')).s,
          conversions: (await get('/api/v1/conversions')).s,
          commissions: (await get('/api/v1/commissions')).s,
          bob: (await get(`/api/v1/partners/${bob}`)).s,
          mine: (await get('/api/v1/me/commissions?limit=100')).b.data.map((c) => c.partner_id),
          named: (await get(`/api/v1/me/commissions?partner_id=${bob}&limit=100`)).s,
          report: (await get('/api/v1/me/report')).b.partner_id,
          namedReport: (await get(`/api/v1/me/report?partner_id=${bob}`)).s,
        };
      }, server.sql("SELECT id FROM partners WHERE ref_code = 'bobreviews'")[0].id);
      page.problems.length = 0; // the 403s above are the point
      assert.equal(res.partners, 403);
      assert.equal(res.conversions, 403);
      assert.equal(res.commissions, 403);
      assert.equal(res.bob, 403);
      assert.ok(res.mine.length > 0 && res.mine.every((p) => p === alice.id));
      assert.equal(res.named, 400, 'a partner naming a partner: an unknown parameter');
      assert.equal(res.report, alice.id);
      assert.equal(res.namedReport, 400);
    });

    await t.test('a partner creates a link with sub-ids and sets a payout method and postback', async () => {
      await page.goto(base + '/partner/links');
      await ready(page, '#links[data-state=ready]');
      page.expectedStatus.add(422);
      await page.fill('#new-link input[name=destination]', 'https://evil.example/x');
      await page.click('#new-link button[type=submit]');
      await page.waitForSelector('#new-link .field-error');
      assert.match(await page.textContent('#new-link .field-error'), /not in the program's allowed_hosts/);
      page.problems.length = 0;
      page.expectedStatus.delete(422);
      await page.fill('#new-link input[name=destination]', 'https://shop.example/shoes');
      await page.fill('#new-link input[name=code]', 'alice-shoes');
      await page.fill('#new-link input[name=sub1]', 'newsletter');
      await page.fill('#new-link input[name=sub2]', 'november');
      await page.click('#new-link button[type=submit]');
      await page.waitForSelector('#links code:text("/c/alice-shoes")');
      const [link] = server.sql("SELECT partner_id, sub1, sub2 FROM links WHERE code = 'alice-shoes'");
      assert.deepEqual(link, { partner_id: alice.id, sub1: 'newsletter', sub2: 'november' });
      page.check();

      await page.goto(base + '/partner/settings');
      await ready(page);
      await page.selectOption('#payout-method select[name=type]', 'paypal');
      await page.fill('#payout-method input[name=email]', 'alice.pay@partners.example');
      await page.click('#payout-method button[type=submit]');
      await page.waitForSelector('.flash:text("Payout method saved")');
      await page.fill('#postback input[name=postback_url]', 'https://tracker.example/pb?c={click_id}&p={commission}');
      await page.click('#postback button[type=submit]');
      await page.waitForSelector('.flash:text("Postback URL saved")');
      const [me] = server.sql(`SELECT payout_method, postback_url FROM partners WHERE id = '${alice.id}'`);
      assert.equal(JSON.parse(me.payout_method).email, 'alice.pay@partners.example');
      assert.equal(me.postback_url, 'https://tracker.example/pb?c={click_id}&p={commission}');
      // the daily digest: on by default, turned off here
      assert.equal(await page.isChecked('#email-digest input[name=email_digest]'), true);
      await page.uncheck('#email-digest input[name=email_digest]');
      await page.click('#email-digest button[type=submit]');
      await page.waitForSelector('.flash:text("No more daily summaries")');
      assert.equal(server.sql(`SELECT COUNT(*) n FROM email_optouts WHERE partner_id = '${alice.id}' AND kind = 'digest'`)[0].n, 1);
      page.check();
    });

    await t.test('a partner creates an API key, copies it once, and revokes it', async () => {
      const activeKeys = () => server.sql(`SELECT id FROM api_keys WHERE partner_id = '${alice.id}' AND revoked_at IS NULL ORDER BY id`).map((r) => r.id);
      const before = activeKeys();
      await ctxP.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      await page.goto(base + '/partner/keys');
      await ready(page, '#keys[data-state=ready]');
      assert.equal(await page.locator('#keys tbody tr').count(), before.length);
      await page.click('#new-key');
      const key = (await (await page.waitForSelector('#created-key')).textContent()).trim();
      assert.match(key, /^pd_pt_[A-Za-z0-9]{32}$/);
      const [id] = activeKeys().filter((k) => !before.includes(k));
      await page.waitForSelector(`#keys tr[data-id="${id}"]`);
      assert.equal((await page.textContent(`#keys tr[data-id="${id}"] [data-col=hint]`)).trim(), `pd_pt_...${key.slice(-4)}`);
      assert.ok(!(await page.textContent('#keys')).includes(key), 'the list never shows the key');
      await page.click('#new-key-box button.copy');
      await page.waitForSelector('#new-key-box button.copy:text("Copied")');
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
      await screenshot(page, 'partner-keys');
      const asKey = () => server.fetch('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });
      const r = await asKey();
      assert.equal(r.status, 200);
      assert.equal((await r.json()).id, alice.id);

      await page.click(`#keys tr[data-id="${id}"] button[data-action=revoke]`);
      await page.waitForSelector('.flash:text("Key revoked")');
      await page.waitForSelector(`#keys[data-state=ready]:not(:has(tr[data-id="${id}"]))`);
      assert.equal((await asKey()).status, 401, 'a revoked key is refused at once');
      assert.deepEqual(activeKeys(), before);
      page.check();
    });

    await t.test('logout ends the session on the server', async () => {
      const [cookie] = await ctxP.cookies();
      await Promise.all([page.waitForURL(/\/login$/), page.click('#logout')]);
      const r = await server.fetch('/api/v1/me', { headers: { Cookie: `pd_session=${cookie.value}` } });
      assert.equal(r.status, 401);
      assert.equal(server.sql(`SELECT COUNT(*) n FROM sessions WHERE subject_id = '${alice.id}'`)[0].n, 0);
      page.check();
    });

    const ctxA = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const admin = await watchedPage(ctxA, 'admin');

    await t.test('the merchant overview shows the program totals', async () => {
      await login(admin, base, 'admin@shop.example', server.keys.admin_password);
      await ready(admin);
      await admin.waitForSelector('.chart .uplot');
      const [tot] = server.sql(`SELECT SUM(clicks) c, SUM(conversions) v, SUM(revenue) r, SUM(commission) m FROM daily_stats WHERE day >= ${DAY_EXPR} - 29 AND day <= ${DAY_EXPR}`);
      assert.equal(await cardValue(admin, '#totals', 'clicks'), tot.c.toLocaleString('en'));
      assert.equal(await cardValue(admin, '#totals', 'conversions'), tot.v.toLocaleString('en'));
      assert.equal(await cardValue(admin, '#totals', 'revenue'), usd(tot.r));
      assert.equal(await cardValue(admin, '#totals', 'commission'), usd(tot.m));
      await screenshot(admin, 'admin-overview');
      admin.check();
    });

    let inviteUrl;
    await t.test('the merchant invites a partner, who sets a password through the one-time link', async () => {
      await admin.goto(base + '/admin/partners');
      await ready(admin, '#partners[data-state=ready]');
      await admin.fill('#invite input[name=email]', 'newbie@partners.example');
      await admin.fill('#invite input[name=name]', 'Newbie Blog');
      await admin.click('#invite button[type=submit]');
      await admin.waitForSelector('#invite-url');
      inviteUrl = (await admin.textContent('#invite-url')).trim();
      assert.match(inviteUrl, new RegExp(`^${base}/invite/\\d+-[A-Za-z0-9]{32}$`));
      await admin.waitForSelector('#partners td:text("newbie@partners.example")');
      await admin.fill('input[name=q]', 'newbie@partners.example');
      await admin.press('input[name=q]', 'Enter');
      await admin.waitForFunction(() => document.querySelectorAll('#partners[data-state=ready] tbody tr').length === 1);
      await admin.fill('input[name=q]', '');
      await admin.press('input[name=q]', 'Enter');
      await admin.waitForFunction(() => document.querySelectorAll('#partners[data-state=ready] tbody tr').length > 1);
      await screenshot(admin, 'admin-partners');
      admin.check();
      // without smtp_url the invite is not sent: the Emails page shows its link to hand over
      await admin.goto(base + '/admin/emails');
      await ready(admin, '#emails[data-state=ready]');
      await admin.waitForFunction((u) => [...document.querySelectorAll('#emails code[data-link]')]
        .some((c) => c.textContent === u), inviteUrl);
      await screenshot(admin, 'admin-emails');
      admin.check();
      await admin.goto(base + '/admin/partners');
      await ready(admin, '#partners[data-state=ready]');

      const ctxN = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const newbie = await watchedPage(ctxN, 'invited partner');
      await newbie.goto(inviteUrl);
      await newbie.waitForSelector('input[name=password]');
      assert.match(await newbie.textContent('#invite'), /newbie@partners.example/);
      await screenshot(newbie, 'invite');
      await newbie.fill('input[name=password]', 'a long new password');
      await newbie.fill('input[name=password2]', 'a long new password');
      await Promise.all([newbie.waitForURL(/\/partner\/$/), newbie.click('button[type=submit]')]);
      await ready(newbie);
      assert.match(await newbie.textContent('#main'), /No clicks in the last 30 days/);
      await screenshot(newbie, 'partner-overview-empty');
      newbie.check();
      // one-time: the same link cannot be used again
      await newbie.goto(inviteUrl);
      newbie.expectedStatus.add(404);
      await newbie.waitForSelector('#invite .state.error');
      newbie.problems.length = 0;
      await ctxN.close();
      const [row] = server.sql("SELECT password_hash, invite_token_hash FROM partners WHERE email = 'newbie@partners.example'");
      assert.match(row.password_hash, /^\$argon2id\$/);
      assert.equal(row.invite_token_hash, null);
    });

    await t.test('the merchant suspends and re-approves a partner', async () => {
      await admin.fill('input[name=q]', 'newbie@partners.example');
      await admin.press('input[name=q]', 'Enter');
      await admin.waitForFunction(() => document.querySelectorAll('#partners[data-state=ready] tbody tr').length === 1);
      await admin.click('#partners button[data-action=suspend]');
      await admin.waitForSelector('#partners .badge.suspended');
      await admin.click('#partners button[data-action=approve]');
      await admin.waitForSelector('#partners .badge.active');
      admin.check();
    });

    let approvedId;
    await t.test('the merchant approves a commission', async () => {
      await admin.goto(base + '/admin/commissions');
      await ready(admin, '#commissions[data-state=ready]');
      const first = admin.locator('#commissions tbody tr').first();
      approvedId = await first.getAttribute('data-id');
      assert.ok(approvedId && approvedId.startsWith('com_'));
      await screenshot(admin, 'admin-commissions');
      await first.locator('button[data-action=approve]').click();
      await admin.waitForSelector('.flash:text("Commission approved")');
      await admin.waitForSelector(`#commissions[data-state=ready]`);
      assert.equal(await admin.locator(`#commissions tr[data-id="${approvedId}"]`).count(), 0);
      assert.equal(server.sql(`SELECT status FROM commissions WHERE id = '${approvedId}'`)[0].status, 'approved');
      admin.check();
    });

    await t.test('program settings show the server\'s rule validation errors, and save', async () => {
      await admin.goto(base + '/admin/settings');
      await ready(admin);
      admin.expectedStatus.add(400).add(422);
      await admin.click('#rules-json-toggle'); // the rules as JSON (rows by default)
      await admin.fill('textarea[name=rules]', '[{"type":"percent","bps":99999}]');
      await admin.click('#settings button[type=submit]');
      await admin.waitForSelector('#settings .field-error');
      assert.match(await admin.textContent('#settings .field-error'), /bps/);
      await screenshot(admin, 'admin-settings-error');
      admin.problems.length = 0;
      admin.expectedStatus.clear();
      await admin.fill('textarea[name=rules]', '[{"type":"percent","bps":1200}]');
      await admin.fill('input[name=min_payout]', '0.01'); // so one approved commission is paid
      await admin.click('#settings button[type=submit]');
      await admin.waitForSelector('.flash:text("Settings saved")');
      const [p] = server.sql('SELECT min_payout, rules FROM programs');
      assert.equal(p.min_payout, 1);
      assert.equal(JSON.parse(p.rules)[0].bps, 1200);
      await screenshot(admin, 'admin-settings');
      admin.check();
    });

    await t.test('the merchant makes a payout draft, downloads its list and marks it paid', async () => {
      await admin.goto(base + '/admin/payouts');
      await ready(admin, '#payouts[data-state=ready]');
      await admin.click('#new-payout button[type=submit]');
      await admin.waitForSelector('#payouts tbody tr');
      await admin.waitForSelector('#payout-detail tbody tr');
      // The demo paid last month's batch; this month's draft takes every approved balance as it is.
      const [batch] = server.sql("SELECT id, status, total FROM payouts WHERE status = 'draft'");
      assert.ok(batch.total > 0);
      const [owed] = server.sql(`SELECT b.approved AS net FROM commissions c JOIN partner_balances b ON b.partner_id = c.partner_id WHERE c.id = '${approvedId}'`);
      assert.match(await admin.textContent('#payout-detail'), new RegExp(usd(owed.net).replace(/[$.]/g, '\\$&')));
      await screenshot(admin, 'admin-payouts');
      const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#payouts a[data-action=csv]')]);
      const csv = fs.readFileSync(await download.path(), 'utf8');
      assert.match(csv.split('\n')[0], /partner/i);
      assert.ok(csv.trim().split('\n').length >= 2, 'the CSV has a row per paid partner');
      await admin.click('#payout-detail button[data-action=paid]');
      await admin.click('#payout-detail .confirm button[data-action=confirm]');
      await admin.waitForSelector('.flash:text("marked paid")');
      await admin.waitForSelector('#payouts .badge.paid');
      assert.equal(server.sql(`SELECT status FROM payouts WHERE id = '${batch.id}'`)[0].status, 'paid');
      admin.check();
    });

    await t.test('every table exports CSV', async () => {
      await admin.goto(base + '/admin/conversions');
      await ready(admin, '#conversions[data-state=ready]');
      await screenshot(admin, 'admin-conversions');
      const [download] = await Promise.all([admin.waitForEvent('download'), admin.click('#conversions button[data-csv]')]);
      const lines = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
      const [n] = server.sql('SELECT COUNT(*) n FROM conversions');
      assert.equal(lines.length, n.n + 1);
      assert.match(lines[0], /^Date,Order,Amount/);
      await admin.selectOption('select[name=method]', 'coupon');
      await ready(admin, '#conversions[data-state=ready]');
      admin.check();
    });

    await t.test('the merchant sees the newest conversion first and pages to the oldest', async () => {
      await admin.goto(base + '/admin/conversions');
      await ready(admin, '#conversions[data-state=ready]');
      const ids = server.sql('SELECT id FROM conversions ORDER BY id DESC').map((r) => r.id);
      assert.equal(await admin.getAttribute('#conversions tbody tr:first-child', 'data-id'), ids[0]);
      assert.equal(await pageThrough(admin, 'conversions', ids), ids.length);
      // a filter is a query parameter: the server pages the filtered list too
      const mine = server.sql(`SELECT id FROM conversions WHERE partner_id = '${alice.id}' ORDER BY id DESC`).map((r) => r.id);
      assert.ok(mine.length > 0 && mine.length < ids.length);
      await admin.fill('input[name=partner_id]', alice.id);
      await admin.press('input[name=partner_id]', 'Enter');
      await admin.waitForFunction((want) => {
        const trs = document.querySelectorAll('#conversions[data-state=ready] tbody tr');
        return [...trs].map((tr) => tr.dataset.id).join() === want;
      }, mine.slice(0, 25).join());
      admin.check();
    });

    await t.test('a request without the CSRF token is refused', async () => {
      const r = await admin.evaluate(async () => {
        const s = await (await fetch('/web/session')).json();
        const send = async (headers) => (await fetch('/api/v1/partners', {
          method: 'POST', headers: { 'Content-Type': 'application/json', ...headers },
          body: JSON.stringify({ email: 'csrf@partners.example' }) })).status;
        return {
          none: await send({}),
          wrong: await send({ 'X-CSRF-Token': 'x'.repeat(32) }),
          logout: (await fetch('/logout', { method: 'POST' })).status,
          right: await send({ 'X-CSRF-Token': s.csrf_token }),
        };
      });
      admin.problems.length = 0;
      assert.deepEqual(r, { none: 403, wrong: 403, logout: 403, right: 201 });
      const [c] = await ctxA.cookies();
      const x = await server.fetch('/api/v1/partners', { method: 'POST', body: '{"email":"x@partners.example"}',
        headers: { Cookie: `pd_session=${c.value}`, 'Content-Type': 'application/json', Origin: 'https://evil.example',
          'X-CSRF-Token': (await (await server.fetch('/web/session', { headers: { Cookie: `pd_session=${c.value}` } })).json()).csrf_token } });
      assert.equal(x.status, 403, 'a cross-site Origin is refused even with the token');
      assert.equal(server.sql("SELECT COUNT(*) n FROM partners WHERE email IN ('x@partners.example')")[0].n, 0);
    });

    await t.test('login attempts are rate-limited, and a suspended partner cannot log in', async () => {
      const tryLogin = (email, password) => server.fetch('/login', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }) });
      for (let i = 0; i < 5; i++) assert.equal((await tryLogin('carol@partners.example', 'wrong password')).status, 401);
      const r = await tryLogin('carol@partners.example', PARTNER_PW);
      assert.equal(r.status, 429);
      assert.ok(Number(r.headers.get('retry-after')) > 0);
      assert.equal((await tryLogin('eve@partners.example', PARTNER_PW)).status, 403);
      const form = await server.fetch('/login', { method: 'POST', headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ email: 'dave@partners.example', password: PARTNER_PW }) });
      assert.equal(form.status, 400, 'a cross-site form post (not JSON) cannot log anyone in');
    });

    await t.test('served over https (public_url), the cookie is Secure with the __Host- prefix', async () => {
      const tls = await new Server().start({ demo: false, publicUrl: 'https://track.shop.example' });
      try {
        const r = await tls.fetch('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ email: tls.keys.admin_email, password: tls.keys.admin_password }) });
        assert.equal(r.status, 200);
        const cookie = r.headers.get('set-cookie');
        assert.match(cookie, /^__Host-pd_session=[A-Za-z0-9]{43}; Path=\/;/);
        assert.match(cookie, /; HttpOnly/);
        assert.match(cookie, /; SameSite=Lax/);
        assert.match(cookie, /; Secure/);
        assert.doesNotMatch(cookie, /Domain=/i);
        assert.ok(r.headers.get('strict-transport-security'));
      } finally {
        await tls.stop();
      }
    });

    await t.test('no script errors on any page', async () => {
      for (const slug of ['', 'partners', 'conversions', 'commissions', 'payouts', 'emails', 'settings']) {
        await admin.goto(`${base}/admin/${slug}`);
        await ready(admin);
        await admin.waitForFunction(() => !document.querySelector('[data-state=loading]'));
        admin.check();
      }
    });
  } finally {
    await browser.close();
    await server.stop();
  }
});
