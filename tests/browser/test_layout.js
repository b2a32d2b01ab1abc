'use strict';
// Every page of both dashboards (each section their navigation links to) and the login and invite
// pages, at a phone's width (390 px) and a desktop's: no horizontal scrolling, nothing sticking out
// of the viewport except inside a scrolling table, every navigation link on screen, each figure on
// one line inside its card, no console or script error; a screenshot of each page at each width
// (<page>-phone.png, <page>-desktop.png). The overview charts: conversions on an axis of their own,
// today marked as partial, no "--" placeholders in the legends. The payout-method form shows only
// the chosen method's fields.
const test = require('node:test');
const assert = require('node:assert/strict');
const { Server, launchBrowser, watchedPage, screenshot } = require('./lib.js');
const { PARTNER_PW, login, ready, settled } = require('./dash.js');

const SIZES = [['phone', { width: 390, height: 844 }, true], ['desktop', { width: 1280, height: 900 }, false]];

// What does not fit the viewport's width (outside scrolling tables), and the figures that wrap.
async function layoutProblems(page) {
  return page.evaluate(() => {
    const W = window.innerWidth;
    const out = [];
    if (document.documentElement.scrollWidth > W) out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${W} px`);
    const scrolls = (el) => {
      for (let a = el.parentElement; a; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX;
        if (o === 'auto' || o === 'scroll') return true;
      }
      return false;
    };
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''}`;
    for (const el of document.querySelectorAll('body *')) {
      if (el.closest('.offscreen') || el.parentElement.closest('.u-wrap')) continue; // the copy helper; the plot's layers
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
      if ((r.right > W + 0.5 || r.left < -0.5) && !scrolls(el)) out.push(`${name(el)} spans ${Math.round(r.left)}…${Math.round(r.right)} px`);
    }
    for (const a of document.querySelectorAll('#nav a')) {
      const r = a.getBoundingClientRect();
      const p = a.parentElement.getBoundingClientRect();
      if (!r.width || r.left < Math.max(0, p.left) - 0.5 || r.right > Math.min(W, p.right) + 0.5) out.push(`navigation link "${a.textContent}" is cut off`);
    }
    for (const v of document.querySelectorAll('.card .value')) {
      const range = document.createRange();
      range.selectNodeContents(v);
      const lines = new Set([...range.getClientRects()].map((x) => Math.round(x.top))).size;
      if (v.scrollWidth > v.clientWidth + 0.5 || lines > 1) out.push(`figure "${v.textContent}" does not fit its card`);
    }
    return out.slice(0, 12);
  });
}

async function checkPage(page, label) {
  assert.deepEqual(await layoutProblems(page), [], `${label} fits`);
  await screenshot(page, label);
  page.check();
}

// Conversions on their own axis, today partial, no "--"; hovering fills the legend with numbers.
async function checkCharts(page, label) {
  const today = new Date().toISOString().slice(0, 10);
  await page.waitForSelector('.charts .chart[data-chart=activity] .uplot');
  assert.equal(await page.getAttribute('.charts', 'data-partial-day'), today, `${label}: today is the partial day`);
  assert.ok((await page.textContent('.chart-note')).includes(today), `${label}: a note says today is partial`);
  assert.equal(await page.locator('.chart[data-chart=activity] .u-axis').count(), 3, `${label}: days, clicks and conversions axes`);
  assert.match(await page.textContent('.chart[data-chart=activity] .u-legend'), /Clicks.*Conversions/s);
  assert.doesNotMatch(await page.textContent('.charts'), /--/, `${label}: no "--" in the legends`);
  const over = page.locator('.chart[data-chart=activity] .u-over');
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction(() => /\d/.test(document.querySelector('.chart[data-chart=activity] .u-legend .u-series:nth-child(3) .u-value')?.textContent || ''));
  assert.doesNotMatch(await page.textContent('.charts'), /--/, `${label}: no "--" while hovering`);
  await page.mouse.move(0, 0);
}

async function everySection(browser, server, who, email, password, size, viewport, mobile) {
  const ctx = await browser.newContext({ viewport, isMobile: mobile, hasTouch: mobile });
  const page = await watchedPage(ctx, `${who} ${size}`);
  await login(page, server.base, email, password);
  await settled(page);
  const hrefs = await page.$$eval('#nav a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(hrefs.length >= 5, `${who}: the navigation lists the sections`);
  for (const href of hrefs) {
    await page.goto(server.base + href);
    await settled(page);
    const slug = href.replace(/^\/(admin|partner)\/?/, '').replace(/\W+/g, '-') || 'overview';
    if (slug === 'overview') await checkCharts(page, `${who} ${size}`);
    await checkPage(page, `${who}-${slug}-${size}`);
  }
  await ctx.close();
  return hrefs;
}

test('layout at phone and desktop widths', { timeout: 230000 }, async (t) => {
  const server = await new Server().start();
  const browser = await launchBrowser();
  const asMerchant = (method, p, body) => server.fetch(p, { method, body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${server.keys.secret_key}`, 'Content-Type': 'application/json' } });
  try {
    const [prog] = server.sql('SELECT id FROM programs');
    // A store connection, so that the settings page shows one.
    assert.equal((await asMerchant('POST', `/api/v1/programs/${prog.id}/connections`, { platform: 'shopify', signing_secret: 'shpss_layout' })).status, 201);
    const invited = await (await asMerchant('POST', '/api/v1/partners', { program_id: prog.id, email: 'layout@partners.example', name: 'Layout Test' })).json();
    assert.ok(invited.invite_url, 'an invite link');

    for (const [size, viewport, mobile] of SIZES) {
      await t.test(`login and invite pages, ${size}`, async () => {
        const ctx = await browser.newContext({ viewport, isMobile: mobile, hasTouch: mobile });
        const page = await watchedPage(ctx, `public ${size}`);
        await page.goto(server.base + '/login');
        await page.waitForSelector('#login button[type=submit]');
        await checkPage(page, `login-${size}`);
        await page.goto(invited.invite_url);
        await page.waitForSelector('#invite input[name=password]');
        await checkPage(page, `invite-${size}`);
        await ctx.close();
      });
      await t.test(`every merchant page, ${size}`, async () => {
        const hrefs = await everySection(browser, server, 'admin', server.keys.admin_email, server.keys.admin_password, size, viewport, mobile);
        assert.ok(hrefs.includes('/admin/settings'));
      });
      await t.test(`every partner page, ${size}`, async () => {
        const hrefs = await everySection(browser, server, 'partner', 'alice@partners.example', PARTNER_PW, size, viewport, mobile);
        assert.ok(hrefs.includes('/partner/settings'));
      });
    }

    await t.test('the payout-method form shows only the chosen method', async () => {
      const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await watchedPage(ctx, 'partner payout method');
      await login(page, server.base, 'bob@partners.example', PARTNER_PW);
      await page.goto(server.base + '/partner/settings');
      await ready(page, '#payout-method');
      const paypal = page.locator('#payout-method input[name=email]');
      const iban = page.locator('#payout-method input[name=iban]');
      const holder = page.locator('#payout-method input[name=holder]');
      await page.selectOption('#payout-method select[name=type]', 'iban');
      assert.equal(await paypal.isVisible(), false, 'IBAN chosen: no PayPal field');
      assert.equal(await iban.isVisible(), true);
      assert.equal(await holder.isVisible(), true);
      await page.selectOption('#payout-method select[name=type]', 'paypal');
      assert.equal(await paypal.isVisible(), true);
      assert.equal(await iban.isVisible(), false, 'PayPal chosen: no IBAN field');
      assert.equal(await holder.isVisible(), false);
      // Generally: nothing marked hidden is displayed, whatever the element's own display rule.
      const shown = await page.$$eval('[hidden]', (els) => els.filter((e) => getComputedStyle(e).display !== 'none').map((e) => e.outerHTML.slice(0, 80)));
      assert.deepEqual(shown, []);
      await page.selectOption('#payout-method select[name=type]', 'iban');
      await page.fill('#payout-method input[name=iban]', 'DE89370400440532013000');
      await page.fill('#payout-method input[name=holder]', 'Bob Reviews');
      await page.click('#payout-method button[type=submit]');
      await page.waitForSelector('.flash:text("Payout method saved")');
      const [row] = server.sql("SELECT payout_method FROM partners WHERE email = 'bob@partners.example'");
      assert.equal(JSON.parse(row.payout_method).type, 'iban');
      await page.reload();
      await ready(page, '#payout-method');
      assert.equal(await page.locator('#payout-method input[name=email]').isVisible(), false, 'a saved IBAN method opens without the PayPal field');
      await screenshot(page, 'partner-payout-method-iban-phone');
      page.check();
      await ctx.close();
    });
  } finally {
    await browser.close();
    await server.stop();
  }
});
