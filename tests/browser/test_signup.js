'use strict';
// Partner signup in a real browser: a visitor applies on the program's /join/ page, the merchant
// approves one application and rejects another in the dashboard, the applicant logs in with the
// password chosen at signup (and, while pending, sees only that the application is under review);
// a forgotten password is reset through the link and the old session is gone (the link as the
// merchant's Emails page shows it without smtp_url; test_signup_email.js follows the emailed one);
// the password is changed in the settings. Each page fits a 390 px wide phone and a desktop and has
// no script errors; screenshots at both widths go to PD_SCREENSHOTS.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Server, launchBrowser, watchedPage, screenshot } = require('./lib.js');
const { login } = require('./dash.js');

const PHONE = { width: 390, height: 844 };

// The page fits its viewport's width (no horizontal scrolling).
async function fits(page, what) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client, `${what}: ${scroll} px wide in a ${client} px viewport`);
}

// Chromium logs a failed load for every 4xx page; those the test expects are not page problems.
function dropExpected(page) {
  const expected = [...page.expectedStatus].join('|');
  const re = new RegExp(`status of (${expected})\\b`);
  for (let i = page.problems.length - 1; i >= 0; i--) if (re.test(page.problems[i])) page.problems.splice(i, 1);
}

// Screenshots at desktop and phone width (<page>-desktop.png, <page>-phone.png), checking that
// the page fits both.
async function shots(page, name) {
  await fits(page, name);
  await screenshot(page, `${name}-desktop`);
  const size = page.viewportSize();
  await page.setViewportSize(PHONE);
  await fits(page, name);
  await screenshot(page, `${name}-phone`);
  await page.setViewportSize(size);
}

// The newest reset link emailed to email, as the merchant's Emails page shows it to hand over
// (nothing is sent without smtp_url): the link that would have been emailed, on public_url.
async function resetLink(admin, base, email) {
  await admin.goto(`${base}/admin/emails`);
  await admin.waitForSelector('#emails[data-state=ready]');
  const row = admin.locator('#emails tbody tr', { hasText: email }).filter({ hasText: 'password reset' }).first();
  const link = (await row.locator('code[data-link]').textContent()).trim();
  assert.match(link, new RegExp(`^${base}/reset/\\d+-[A-Za-z0-9]{32}$`));
  return link;
}

test('signup', { timeout: 180000 }, async (t) => {
  const server = await new Server().start();
  const browser = await launchBrowser();
  const base = server.base;
  const [prog] = server.sql('SELECT id, slug FROM programs');
  const email = 'visitor@blog.example';
  const newContext = async (opts) => { const c = await browser.newContext(opts); c.setDefaultTimeout(15000); return c; };
  const chosen = 'my chosen passphrase';
  try {
    const adminCtx = await newContext({ viewport: { width: 1280, height: 900 } });
    const admin = await watchedPage(adminCtx, 'merchant');
    await login(admin, base, server.keys.admin_email, server.keys.admin_password);
    await admin.goto(`${base}/admin/settings`);

    const visitorCtx = await newContext({ viewport: { width: 1280, height: 900 } });
    const visitor = await watchedPage(visitorCtx, 'visitor');

    await t.test('a visitor applies on the program page with labelled fields', async () => {
      await visitor.goto(`${base}/join/${prog.slug}`);
      assert.match(await visitor.textContent('#commission'), /% of each sale/);
      await shots(visitor, 'join');
      await visitor.getByLabel('Name').fill('Vera Visitor <b>');
      await visitor.getByLabel('Email').fill(email);
      await visitor.getByLabel('Password').fill('short');
      await visitor.getByLabel('Website').fill('vera.example');
      await visitor.getByLabel('How you promote').fill('Recipes on <script>alert(1)</script> my blog');
      visitor.expectedStatus.add(422);
      await Promise.all([visitor.waitForNavigation(), visitor.click('#signup button[type=submit]')]);
      assert.match(await visitor.textContent('#password-error'), /at least 10 characters/);
      dropExpected(visitor);
      assert.equal(await visitor.inputValue('input[name=name]'), 'Vera Visitor <b>', 'the name is kept, as text');
      await shots(visitor, 'join-errors');
      await visitor.getByLabel('Password').fill(chosen);
      visitor.expectedStatus.add(202);
      await Promise.all([visitor.waitForNavigation(), visitor.click('#signup button[type=submit]')]);
      assert.match(await visitor.textContent('h1'), /Application received/);
      await shots(visitor, 'join-received');
      visitor.check();
      const [row] = server.sql(`SELECT status, name, promotion FROM partners WHERE email = '${email}'`);
      assert.deepEqual(row, { status: 'pending', name: 'Vera Visitor <b>', promotion: 'Recipes on <script>alert(1)</script> my blog' });
    });

    await t.test('a pending applicant who logs in sees only that the application is under review', async () => {
      await login(visitor, base, email, chosen);
      await visitor.waitForSelector('#under-review');
      assert.match(await visitor.textContent('#main'), /under review/);
      assert.equal(await visitor.$$eval('#nav a', (a) => a.length), 0, 'no navigation');
      await shots(visitor, 'partner-under-review');
      visitor.check();
    });

    await t.test('the merchant sees the application as text and approves it', async () => {
      await admin.goto(`${base}/admin/partners`);
      await admin.waitForSelector('#applications[data-state=ready] .application');
      const card = admin.locator('.application', { hasText: email });
      assert.match(await card.textContent(), /Recipes on <script>alert\(1\)<\/script> my blog/);
      assert.match(await card.locator('h3').textContent(), /^Vera Visitor <b>$/);
      await shots(admin, 'admin-applications');
      await card.locator('[data-action=approve-application]').click();
      await admin.waitForFunction((e) => ![...document.querySelectorAll('.application')].some((c) => c.textContent.includes(e)), email);
      const [row] = server.sql(`SELECT status FROM partners WHERE email = '${email}'`);
      assert.equal(row.status, 'active');
      admin.check();
    });

    await t.test('the approved partner logs in with the password chosen at signup', async () => {
      await visitor.goto(`${base}/partner/`);
      await visitor.waitForSelector('#main[data-ready=true]');
      assert.equal(await visitor.$('#under-review'), null);
      assert.ok(await visitor.$$eval('#nav a', (a) => a.length) > 3, 'the whole dashboard');
      visitor.check();
    });

    await t.test('the merchant rejects an application with a reason', async () => {
      const other = await watchedPage(await newContext(), 'second visitor');
      await other.goto(`${base}/join/${prog.slug}`);
      await other.getByLabel('Name').fill('Rex Rejected');
      await other.getByLabel('Email').fill('rex@blog.example');
      await other.getByLabel('Password').fill('another chosen passphrase');
      other.expectedStatus.add(202);
      await Promise.all([other.waitForNavigation(), other.click('#signup button[type=submit]')]);
      await admin.goto(`${base}/admin/partners`);
      await admin.waitForSelector('#applications[data-state=ready] .application');
      const card = admin.locator('.application', { hasText: 'rex@blog.example' });
      assert.ok(await card.locator('.reject-form').isHidden(), 'the reason is asked only on Reject');
      await card.locator('[data-action=reject-application]').click();
      assert.ok(await card.locator('.reject-form').isVisible());
      await card.locator('textarea[name=rejection_reason]').fill('We only work with food blogs.');
      await card.locator('[data-action=confirm-reject]').click();
      await admin.waitForFunction(() => ![...document.querySelectorAll('.application')].some((c) => c.textContent.includes('rex@blog.example')));
      const [row] = server.sql("SELECT status, rejection_reason FROM partners WHERE email = 'rex@blog.example'");
      assert.deepEqual(row, { status: 'rejected', rejection_reason: 'We only work with food blogs.' });
      const r = await server.fetch('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: 'rex@blog.example', password: 'another chosen passphrase' }) });
      assert.equal(r.status, 403, 'a rejected applicant cannot log in');
      admin.check();
      other.check();
    });

    await t.test('a forgotten password is reset through the link, and the old session is gone', async () => {
      const ctx = await newContext({ viewport: { width: 1280, height: 900 } });
      const page = await watchedPage(ctx, 'forgetful partner');
      await page.goto(`${base}/login`);
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Forgot password?' }).click()]);
      await shots(page, 'forgot');
      await page.getByLabel('Email').fill(email);
      await Promise.all([page.waitForNavigation(), page.click('#forgot button[type=submit]')]);
      assert.match(await page.textContent('main'), /we have sent it a link/);
      await shots(page, 'forgot-sent');
      const link = await resetLink(admin, base, email);
      await page.goto(link);
      await shots(page, 'reset');
      await page.getByLabel('New password At least').fill('a fresh passphrase now');
      await page.getByLabel('Repeat the new password').fill('a fresh passphrase now');
      await Promise.all([page.waitForNavigation(), page.click('#reset button[type=submit]')]);
      assert.match(await page.textContent('h1'), /Password changed/);
      await shots(page, 'reset-done');
      // the visitor's old session has ended
      await visitor.goto(`${base}/partner/`);
      await visitor.waitForURL(/\/login/);
      // the link works once
      page.expectedStatus.add(404);
      await page.goto(link);
      assert.match(await page.textContent('main'), /expired or was already used/);
      dropExpected(page);
      await shots(page, 'reset-gone');
      await login(page, base, email, 'a fresh passphrase now');
      page.check();
      visitor.check();
      await ctx.close();
    });

    await t.test('the partner changes the password in the settings', async () => {
      await login(visitor, base, email, 'a fresh passphrase now');
      await visitor.goto(`${base}/partner/settings`);
      await visitor.waitForSelector('#password-change');
      await visitor.fill('#password-change input[name=current_password]', 'a fresh passphrase now');
      await visitor.fill('#password-change input[name=new_password]', 'the final passphrase');
      await visitor.fill('#password-change input[name=new_password2]', 'the final passphrase');
      await visitor.click('#password-change button[type=submit]');
      await visitor.waitForSelector('.flash:text("password is changed")');
      await shots(visitor, 'partner-settings-password');
      visitor.check();
      const r = await server.fetch('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password: 'the final passphrase' }) });
      assert.equal(r.status, 200);
    });

    await t.test('an unknown program page is a 404 page', async () => {
      visitor.expectedStatus.add(404);
      const r = await visitor.goto(`${base}/join/no-such-program`);
      assert.equal(r.status(), 404);
      assert.match(await visitor.textContent('h1'), /Program not found/);
      dropExpected(visitor);
      await fits(visitor, 'not found');
      visitor.check();
    });
  } finally {
    await browser.close();
    await server.stop();
  }
});
