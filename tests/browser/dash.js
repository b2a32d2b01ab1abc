'use strict';
// Steps the newer browser tests share: logging in through the login page and waiting for a
// dashboard page (or one of its lists) to be ready.

const PARTNER_PW = 'demo-partner-pass'; // every demo partner's password (`partnerd demo`)

async function login(page, base, email, password) {
  await page.goto(base + '/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForURL(/\/(admin|partner)\/$/), page.click('button[type=submit]')]);
}

async function ready(page, selector = '#main[data-ready=true]') {
  await page.waitForSelector(selector, { timeout: 15000 });
}

// A dashboard page fully shown: the page ready and nothing left loading.
async function settled(page) {
  await ready(page);
  await page.waitForFunction(() => !document.querySelector('[data-state=loading]'), null, { timeout: 15000 });
}

module.exports = { PARTNER_PW, login, ready, settled };
