'use strict';
// Signup with email that really arrives: partnerd sends to a real SMTP server on loopback (Debian's
// python3-aiosmtpd, tests/e2e/smtp_server.py run as a program, each message written to a directory
// and parsed there with Python's email package), and every step takes its link from the message
// that arrived, never from the database. A visitor applies on /join/{slug} and the "application
// received" email arrives; the merchant approves in the dashboard and the approval email's login
// link opens the login page, where the password chosen at signup shows the partner its coupon with
// a copy button; a forgotten password is reset through the emailed link, the old session is refused
// and the "password changed" email arrives; signing up again with the same email sends the
// "already has an account" email and makes no second account; a rejected applicant is told the
// reason; a partner created through the API receives an invite whose link sets a password.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Server, launchBrowser, watchedPage, screenshot } = require('./lib.js');
const { login, ready } = require('./dash.js');

const PYTHON = process.env.PD_PYTHON3 || '/usr/bin/python3'; // Debian's, which has aiosmtpd
const SMTP_SERVER = path.join(__dirname, '..', 'e2e', 'smtp_server.py');
const FROM = 'partners@shop.example';
const PROGRAM = 'Demo Shop'; // `partnerd demo`'s program: the sender's name

// The SMTP server as a child process: its first line says its port; each message that arrives is a
// NNNN.json file (written whole, then renamed) in a directory of its own.
class Mailbox {
  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-mail-'));
    this.log = [];
    this.proc = spawn(PYTHON, [SMTP_SERVER, '--dir', this.dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (c) => this.log.push(c));
    this.proc.stdout.setEncoding('utf8');
    const port = await new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error('the SMTP server did not start in 20 s: ' + this.log.join(''))), 20000);
      this.proc.stdout.on('data', (c) => {
        out += c;
        const m = /^\{"port": (\d+)\}\n/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the SMTP server exited (${code}): ${this.log.join('')}`)); });
    });
    this.url = `smtp://127.0.0.1:${port}`;
    return this;
  }

  // Every message that arrived, in order.
  messages() {
    return fs.readdirSync(this.dir).filter((f) => /^\d+\.json$/.test(f)).sort()
      .map((f) => new Mail(JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8'))));
  }

  // Polls the directory until a message to `to` whose subject matches arrives; answers it.
  async waitFor(to, subject, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.messages().filter((m) => m.isTo(to) && subject.test(m.header('Subject')));
      if (got.length) return got[0];
      if (Date.now() > deadline) {
        const seen = this.messages().map((m) => `${m.rcpt_tos} "${m.header('Subject')}"`);
        throw new Error(`no email to ${to} with subject ${subject} within ${timeoutMs} ms; arrived:\n  ${seen.join('\n  ')}`);
      }
      await new Promise((r) => setTimeout(r, 50)); // the next look at the directory
    }
  }

  async stop() {
    if (this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.stdin.end(); // the server's cue to stop
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
      if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

class Mail {
  constructor(j) { Object.assign(this, j); }
  header(name) {
    const h = this.headers.find(([k]) => k.toLowerCase() === name.toLowerCase());
    return h ? h[1] : null;
  }
  isTo(addr) { return this.rcpt_tos.length === 1 && this.rcpt_tos[0] === addr; }
  // The one link of the message, the same in both parts; null when it has none.
  link() {
    const links = [...new Set(this.text.match(/https?:\/\/[^\s<>"]+/g) || [])];
    assert.ok(links.length <= 1, `one link in the text part: ${links}`);
    if (!links.length) {
      assert.doesNotMatch(this.html, /href=/, 'no link in the HTML part either');
      return null;
    }
    assert.ok(this.html.includes(`href="${links[0]}"`), `the HTML part links ${links[0]}:\n${this.html}`);
    return links[0];
  }
}

// The message as partnerd sends every kind: from the program to one address, both parts.
function checkMail(m, to, words) {
  assert.deepEqual(m.rcpt_tos, [to], 'envelope recipient');
  assert.equal(m.mail_from, FROM, 'envelope sender');
  assert.deepEqual(m.to, [{ name: '', addr: to }], 'To');
  assert.deepEqual(m.from, [{ name: PROGRAM, addr: FROM }], 'From: the program as sender name');
  assert.equal(m.content_type, 'multipart/alternative', 'a text and an HTML part');
  for (const w of words) {
    assert.ok(m.text.includes(w), `the text part says "${w}":\n${m.text}`);
    assert.ok(m.html.replace(/\s+/g, ' ').includes(w.replace(/"/g, '&quot;')), `the HTML part says "${w}":\n${m.html}`);
  }
}

async function api(server, method, p, body) {
  const r = await server.fetch(p, {
    method, headers: { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function signup(page, base, slug, name, email, password) {
  await page.goto(`${base}/join/${slug}`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  page.expectedStatus.add(202);
  await Promise.all([page.waitForNavigation(), page.click('#signup button[type=submit]')]);
  return page.textContent('main');
}

test('signup with email', { timeout: 200000 }, async (t) => {
  const mail = await new Mailbox().start();
  let server;
  let browser;
  try {
    // public_url on port 0 becomes the listening address: the emails' links lead to this server
    server = await new Server().start({
      publicUrl: 'http://127.0.0.1:0',
      args: ['--smtp_url', mail.url, '--smtp_from', FROM, '--webhook_poll_ms', '50',
        '--smtp_timeout_ms', '5000', '--smtp_retry_base_ms', '100'],
    });
    browser = await launchBrowser();
    const base = server.base;
    const [prog] = server.sql('SELECT id, slug FROM programs');
    const email = 'vera@blog.example';
    const chosen = 'my chosen passphrase';
    const newContext = async () => {
      const c = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      c.setDefaultTimeout(15000);
      return c;
    };
    const admin = await watchedPage(await newContext(), 'merchant');
    await login(admin, base, server.keys.admin_email, server.keys.admin_password);
    const partnerCtx = await newContext();
    await partnerCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const partner = await watchedPage(partnerCtx, 'partner');
    let partnerId;

    await t.test('a visitor applies and the "application received" email arrives', async () => {
      const visitor = await watchedPage(await newContext(), 'visitor');
      assert.match(await signup(visitor, base, prog.slug, 'Vera Visitor', email, chosen), /Application received/);
      visitor.check();
      const m = await mail.waitFor(email, /^We received your application to Demo Shop$/);
      checkMail(m, email, ['Thank you for applying to the Demo Shop partner program']);
      assert.equal(m.link(), null, 'nothing to click yet');
      [{ id: partnerId }] = server.sql(`SELECT id FROM partners WHERE email = '${email}'`);
    });

    let loginLink;
    await t.test('the merchant approves; the approval email links the login page', async () => {
      await admin.goto(`${base}/admin/partners`);
      await admin.waitForSelector('#applications[data-state=ready] .application');
      await admin.locator('.application', { hasText: email }).locator('[data-action=approve-application]').click();
      const m = await mail.waitFor(email, /^Welcome to the Demo Shop partner program$/);
      checkMail(m, email, ['was approved', 'Log in with the password you chose']);
      loginLink = m.link();
      assert.equal(loginLink, `${base}/login`);
      admin.check();
    });

    await t.test('the partner follows the link and logs in with the password chosen at signup', async () => {
      await partner.goto(loginLink);
      await partner.fill('input[name=email]', email);
      await partner.fill('input[name=password]', chosen);
      await Promise.all([partner.waitForURL(`${base}/partner/`), partner.click('button[type=submit]')]);
      await ready(partner);
      assert.equal(await partner.$('#under-review'), null, 'the whole dashboard');
      partner.check();
    });

    await t.test('the merchant gives the partner a coupon, which it sees and copies', async () => {
      const r = await api(server, 'PATCH', `/api/v1/partners/${partnerId}`, { coupons: ['VERA10'] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await partner.reload();
      await ready(partner);
      const coupon = partner.locator('#coupons li', { hasText: 'VERA10' });
      assert.equal(await coupon.locator('code').textContent(), 'VERA10');
      await coupon.getByRole('button', { name: 'Copy code' }).click();
      assert.equal(await partner.evaluate(() => navigator.clipboard.readText()), 'VERA10', 'the button copies the code');
      await screenshot(partner, 'partner-coupons');
      partner.check();
    });

    await t.test('a forgotten password is reset through the emailed link; the old session is refused', async () => {
      const [old] = (await partnerCtx.cookies(base)).filter((c) => c.name === 'pd_session');
      assert.ok(old, 'the partner has a session');
      const session = (cookie) => server.fetch('/web/session', { headers: { Cookie: cookie } });
      assert.equal((await session(`pd_session=${old.value}`)).status, 200, 'the session works before');
      const page = await watchedPage(await newContext(), 'forgetful partner');
      await page.goto(`${base}/login`);
      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Forgot password?' }).click()]);
      await page.getByLabel('Email').fill(email);
      await Promise.all([page.waitForNavigation(), page.click('#forgot button[type=submit]')]);
      assert.match(await page.textContent('main'), /we have sent it a link/);
      const m = await mail.waitFor(email, /^Reset your Demo Shop password$/);
      checkMail(m, email, ['It works once and expires in one hour']);
      const link = m.link();
      assert.match(link, new RegExp(`^${base}/reset/\\d+-[A-Za-z0-9]+$`));
      await page.goto(link);
      assert.match(await page.textContent('main'), new RegExp(email));
      await page.getByLabel('New password At least').fill('a fresh passphrase now');
      await page.getByLabel('Repeat the new password').fill('a fresh passphrase now');
      await Promise.all([page.waitForNavigation(), page.click('#reset button[type=submit]')]);
      assert.match(await page.textContent('h1'), /Password changed/);
      assert.equal((await session(`pd_session=${old.value}`)).status, 401, 'the old cookie is refused');
      await partner.goto(`${base}/partner/`);
      await partner.waitForURL(/\/login/);
      const changed = await mail.waitFor(email, /^Your Demo Shop password was changed$/);
      checkMail(changed, email, ['was just changed', 'If it was not you']);
      assert.equal(changed.link(), null);
      page.expectedStatus.add(404);
      await page.goto(link);
      assert.match(await page.textContent('main'), /expired or was already used/, 'the emailed link works once');
      page.problems.length = 0; // Chromium's log of the expected 404
      await login(partner, base, email, 'a fresh passphrase now');
      partner.check();
    });

    await t.test('signing up again with the same email sends "already has an account" and makes no account', async () => {
      const again = await watchedPage(await newContext(), 'visitor again');
      assert.match(await signup(again, base, prog.slug, 'Someone Else', email, 'another passphrase here'), /Application received/);
      again.check();
      const m = await mail.waitFor(email, /^Your Demo Shop partner account$/);
      checkMail(m, email, ['which already has an account', '"Forgot password?"']);
      assert.equal(m.link(), `${base}/login`);
      assert.deepEqual(server.sql(`SELECT name FROM partners WHERE email = '${email}'`), [{ name: 'Vera Visitor' }], 'one account');
      const r = await server.fetch('/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password: 'another passphrase here' }) });
      assert.equal(r.status, 401, 'the second password was not set');
      const subjects = mail.messages().filter((x) => x.isTo(email)).map((x) => x.header('Subject'));
      assert.deepEqual(subjects, ['We received your application to Demo Shop', 'Welcome to the Demo Shop partner program',
        'Reset your Demo Shop password', 'Your Demo Shop password was changed', 'Your Demo Shop partner account'],
      'each message once, in order');
    });

    await t.test('a rejected applicant is emailed the reason', async () => {
      const rex = 'rex@blog.example';
      await signup(await watchedPage(await newContext(), 'rex'), base, prog.slug, 'Rex', rex, 'rex passphrase here');
      await mail.waitFor(rex, /^We received your application to Demo Shop$/);
      await admin.goto(`${base}/admin/partners`);
      const card = admin.locator('.application', { hasText: rex });
      await card.locator('[data-action=reject-application]').click();
      await card.locator('textarea[name=rejection_reason]').fill('We only work with "food" blogs & <b>sites</b>.');
      await card.locator('[data-action=confirm-reject]').click();
      const m = await mail.waitFor(rex, /^Your application to Demo Shop$/);
      checkMail(m, rex, ['was not accepted']);
      assert.ok(m.text.includes('Reason: We only work with "food" blogs & <b>sites</b>.'), m.text);
      assert.ok(m.html.includes('We only work with &quot;food&quot; blogs &amp; &lt;b&gt;sites&lt;/b&gt;.'), m.html);
      assert.equal(m.link(), null);
      admin.check();
    });

    await t.test('a partner created through the API receives an invite whose link sets its password', async () => {
      const r = await api(server, 'POST', '/api/v1/partners', { program_id: prog.id, email: 'ivy@partners.example', name: 'Ivy' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const m = await mail.waitFor('ivy@partners.example', /^You are invited to the Demo Shop partner program$/);
      checkMail(m, 'ivy@partners.example', ['Demo Shop invites you to its partner program']);
      assert.equal(m.link(), r.body.invite_url);
      assert.match(m.link(), new RegExp(`^${base}/invite/`));
      const ivy = await watchedPage(await newContext(), 'invited partner');
      await ivy.goto(m.link());
      await ivy.fill('input[name=password]', 'ivy long passphrase');
      await ivy.fill('input[name=password2]', 'ivy long passphrase');
      await Promise.all([ivy.waitForURL(`${base}/partner/`), ivy.click('button[type=submit]')]);
      await ready(ivy);
      ivy.check();
    });
  } finally {
    if (browser) await browser.close();
    try {
      if (server) await server.stop();
    } finally {
      await mail.stop();
    }
  }
});
