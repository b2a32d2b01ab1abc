'use strict';
// /pd.js on a store page in a real browser: the click id from the landing URL reaches Stripe
// Payment Links (client_reference_id), Buy Buttons and Pricing Tables (client-reference-id, also
// when added after load) and, on a Shopify storefront, the cart attribute pd_click (one
// POST /cart/update.js, not repeated for the same id). The store is a tiny node server on
// loopback; /cart/update.js is answered by the test and every other non-loopback request aborted.
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Server, launchBrowser, watchedPage } = require('./lib.js');

const CLICK = '01HZX4P3ABCDEFGHJKMNPQRSTV'; // a ULID: Crockford base32
const CLICK2 = '01J0A1B2C3D4E5F6G7H8J9KMNP';
const WAIT = { timeout: 10000 };

function storePage(pdJs, shopify) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
${shopify ? "<script>window.Shopify={shop:'demo-shop.myshopify.com'};</script>" : ''}
<script src="${pdJs}" async></script></head><body>
<a id="plain" href="https://buy.stripe.com/test_aEU5nq">Buy</a>
<a id="query" href="https://buy.stripe.com/test_bFa6or?prefilled_email=a%40shop.example">Buy</a>
<a id="kept" href="https://buy.stripe.com/test_cGb7ps?client_reference_id=merchant_1">Buy</a>
<a id="other" href="https://example.org/buy.stripe.com">Elsewhere</a>
<a id="lookalike" href="https://buy.stripe.com.example.org/x">Lookalike</a>
<stripe-buy-button id="button" buy-button-id="buy_btn_1" publishable-key="pk_test_x"></stripe-buy-button>
<stripe-buy-button id="button-kept" buy-button-id="buy_btn_2" client-reference-id="merchant_2"></stripe-buy-button>
</body></html>`;
}

async function startStore(pdJs) {
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    if (u.pathname === '/shop' || u.pathname === '/plain') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(storePage(pdJs, u.pathname === '/shop'));
    } else {
      res.writeHead(204);
      res.end();
    }
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, base: `http://127.0.0.1:${srv.address().port}` };
}

// Counts the page's own fetch('/cart/update.js') calls, synchronously, so that "no call" is
// known as soon as pd.js has run (it calls fetch in the same task as it tags the page).
const COUNT_FETCH = `(() => {
  const f = window.fetch;
  window.fetch = function (url, opts) {
    if (String(url).indexOf('/cart/update.js') >= 0) (window.__cartLog = window.__cartLog || []).push(url);
    return f.apply(this, arguments);
  };
})();`;

const attr = (page, sel, name) => page.$eval(sel, (e, n) => e.getAttribute(n), name);
const tagged = (page) => page.waitForFunction(
  () => document.getElementById('button').hasAttribute('client-reference-id'), null, WAIT);
const cartCalls = (page) => page.evaluate(() => (window.__cartLog || []).length);

test('pd.js hands the click id to Stripe links and elements and to the Shopify cart', { timeout: 120000 }, async (t) => {
  const server = await new Server().start({ demo: false });
  const store = await startStore(`${server.base}/pd.js`);
  const browser = await launchBrowser();
  const posts = [];
  try {
    const ctx = await browser.newContext();
    // Nothing leaves the machine: loopback goes through, anything else is aborted.
    await ctx.route('**/*', (route) => {
      const host = new URL(route.request().url()).hostname;
      return host === '127.0.0.1' ? route.continue() : route.abort();
    });
    await ctx.addInitScript(COUNT_FETCH);
    const page = await watchedPage(ctx, 'store');
    await page.route('**/cart/update.js', async (route) => {
      const req = route.request();
      posts.push({ method: req.method(), type: req.headers()['content-type'], body: req.postDataJSON() });
      await route.fulfill({ status: 200, contentType: 'application/json', body: '{"token":"c1","attributes":{}}' });
    });

    await t.test('Payment Links get client_reference_id, existing ones are kept', async () => {
      await page.goto(`${store.base}/shop?utm_source=x&pd_click=${CLICK}`);
      await tagged(page);
      assert.equal(await page.evaluate(() => window.partnerd.clickId()), CLICK);
      const href = (id) => page.$eval(`#${id}`, (a) => a.href);
      assert.equal(await href('plain'), `https://buy.stripe.com/test_aEU5nq?client_reference_id=${CLICK}`);
      assert.equal(await href('query'),
        `https://buy.stripe.com/test_bFa6or?prefilled_email=a%40shop.example&client_reference_id=${CLICK}`);
      assert.equal(await href('kept'), 'https://buy.stripe.com/test_cGb7ps?client_reference_id=merchant_1');
      assert.equal(await href('other'), 'https://example.org/buy.stripe.com');
      assert.equal(await href('lookalike'), 'https://buy.stripe.com.example.org/x');
    });

    await t.test('Buy Buttons and Pricing Tables get client-reference-id, also when added later', async () => {
      assert.equal(await attr(page, '#button', 'client-reference-id'), CLICK);
      assert.equal(await attr(page, '#button-kept', 'client-reference-id'), 'merchant_2');
      await page.evaluate(() => {
        const t1 = document.createElement('stripe-pricing-table');
        t1.id = 'table';
        t1.setAttribute('pricing-table-id', 'prctbl_1');
        document.body.appendChild(t1);
        const div = document.createElement('div');
        div.innerHTML = '<section><stripe-pricing-table id="nested"></stripe-pricing-table>' +
          '<a id="late" href="https://buy.stripe.com/test_late">Buy</a></section>';
        document.body.appendChild(div);
      });
      await page.waitForFunction(() => ['table', 'nested'].every(
        (id) => document.getElementById(id).getAttribute('client-reference-id')) &&
        /client_reference_id=/.test(document.getElementById('late').href), null, WAIT);
      assert.equal(await attr(page, '#table', 'client-reference-id'), CLICK);
      assert.equal(await attr(page, '#nested', 'client-reference-id'), CLICK);
      assert.equal(await page.$eval('#late', (a) => a.href), `https://buy.stripe.com/test_late?client_reference_id=${CLICK}`);
    });

    await t.test('the Shopify cart attribute pd_click is POSTed once per click id', async () => {
      await page.waitForFunction(() => sessionStorage.getItem('pd_click'), null, WAIT);
      assert.equal(await cartCalls(page), 1, 'one cart update on the landing page');
      assert.deepEqual(posts, [{ method: 'POST', type: 'application/json', body: { attributes: { pd_click: CLICK } } }]);
      // The next page of the same visit: the id is known from the cookie and already on the cart.
      await page.goto(`${store.base}/shop`);
      await tagged(page);
      assert.equal(await attr(page, '#button', 'client-reference-id'), CLICK);
      assert.equal(await cartCalls(page), 0, 'no second cart update for the same id');
      // A new click id: the cart gets it.
      await page.goto(`${store.base}/shop?pd_click=${CLICK2}`);
      await tagged(page);
      assert.equal(await attr(page, '#button', 'client-reference-id'), CLICK2);
      assert.equal(await cartCalls(page), 1, 'a cart update for the new id');
      await page.waitForFunction((id) => (sessionStorage.getItem('pd_click') || '').startsWith(id), CLICK2, WAIT);
      assert.equal(posts.length, 2);
      assert.deepEqual(posts[1].body, { attributes: { pd_click: CLICK2 } });
    });

    await t.test('a store that is not Shopify gets no cart update', async () => {
      await page.goto(`${store.base}/plain`);
      await tagged(page);
      assert.equal(await page.$eval('#plain', (a) => a.href), `https://buy.stripe.com/test_aEU5nq?client_reference_id=${CLICK2}`);
      assert.equal(await cartCalls(page), 0);
      assert.equal(posts.length, 2);
    });
    page.check();
    await ctx.close();
  } finally {
    await browser.close();
    await new Promise((r) => store.srv.close(r));
    await server.stop();
  }
});
