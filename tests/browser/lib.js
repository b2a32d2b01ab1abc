'use strict';
// Browser-test harness: a demo partnerd on an ephemeral loopback port with a temporary SQLite
// database, Debian's Chromium driven by playwright-core, the database read back with the sqlite3
// command-line tool, and every page watched for script errors.
//
// Environment (set by ctest): PARTNERD_BIN, PD_NODE_MODULES (the build's npm ci), PD_SCREENSHOTS
// (where the PNGs go), PD_CHROMIUM (default /usr/bin/chromium). PD_BROWSER_KEEP=1 keeps the
// temporary directory; PD_BROWSER_VERBOSE=1 prints the server log.
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = process.env.PARTNERD_BIN || path.join(REPO, 'build', 'partnerd');
const MODULES = process.env.PD_NODE_MODULES || path.join(REPO, 'build', 'web-npm', 'node_modules');
const SHOTS = process.env.PD_SCREENSHOTS || path.join(REPO, 'build', 'screenshots');
const CHROMIUM = process.env.PD_CHROMIUM || '/usr/bin/chromium';

function requirePlaywright() {
  try {
    return require(path.join(MODULES, 'playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core not found in ${MODULES}: build first (cmake runs npm ci) — ${e.message}`);
  }
}

function run(args, env) {
  return execFileSync(BIN, args, { encoding: 'utf8', env: { ...cleanEnv(), ...env } });
}

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PARTNERD_')) env[k] = v;
  return env;
}

class Server {
  // opts.demo (default true): fill with `partnerd demo`; opts.publicUrl: --public_url; opts.args:
  // more arguments for `partnerd serve`.
  async start(opts = {}) {
    if (!fs.existsSync(BIN)) throw new Error(`partnerd binary not found: ${BIN}`);
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-browser-'));
    this.dbPath = path.join(this.dir, 'demo.db');
    this.db = `sqlite:${this.dbPath}`;
    this.keys = JSON.parse(run(['init', '--db', this.db, '--json']));
    this.demoOut = opts.demo === false ? '' : run(['demo', '--db', this.db]);
    this.log = [];
    const extra = [...(opts.publicUrl ? ['--public_url', opts.publicUrl] : []), ...(opts.args || [])];
    this.proc = spawn(BIN, ['serve', '--db', this.db, '--listen', '127.0.0.1:0', '--workers', '2', ...extra], {
      env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc.stderr.setEncoding('utf8');
    const port = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('partnerd did not start in 20 s:\n' + this.log.join(''))), 20000);
      this.proc.stderr.on('data', (chunk) => {
        this.log.push(chunk);
        const m = /msg=listening addr=[^\s]*:(\d+)/.exec(this.log.join(''));
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      this.proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`partnerd exited (${code}):\n${this.log.join('')}`)); });
    });
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', (code, signal) => r({ code, signal })));
      this.proc.kill('SIGTERM');
      this.exit = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 10000))]);
      if (!this.exit) this.proc.kill('SIGKILL');
    }
    if (process.env.PD_BROWSER_VERBOSE) process.stderr.write(this.log.join(''));
    if (!process.env.PD_BROWSER_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
    else process.stderr.write(`kept ${this.dir}\n`);
    // A clean stop on SIGTERM; under ASan a leak or memory error makes this fail.
    if (!this.exit || this.exit.code !== 0)
      throw new Error(`partnerd did not stop cleanly (${JSON.stringify(this.exit)}):\n${this.log.join('').slice(-4000)}`);
  }

  // Rows of a read-only query, as objects.
  sql(query) {
    const out = execFileSync('sqlite3', ['-readonly', '-json', this.dbPath, query], { encoding: 'utf8' });
    return out.trim() ? JSON.parse(out) : [];
  }

  // fetch() against the server (Node's), with an optional cookie.
  async fetch(p, opts = {}) {
    return fetch(this.base + p, { redirect: 'manual', ...opts });
  }
}

async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (make deps)`);
  const { chromium } = requirePlaywright();
  // launch() gives Chromium a fresh, temporary user data dir of its own every run.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A page whose script errors, console errors, failed requests and unexpected HTTP errors are
// recorded; check() throws when there were any (then forgets them).
async function watchedPage(context, label) {
  const page = await context.newPage();
  page.problems = [];
  page.expectedStatus = new Set();
  page.on('pageerror', (e) => page.problems.push(`${label}: script error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`${label}: console error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    const f = r.failure();
    // A navigation aborts loads still in flight (ERR_ABORTED): not a page problem.
    if (!(f && /ERR_ABORTED/.test(f.errorText)))
      page.problems.push(`${label}: request failed: ${r.url()} ${f ? f.errorText : ''}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !page.expectedStatus.has(r.status()))
      page.problems.push(`${label}: HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
  });
  page.check = () => {
    const p = page.problems.splice(0);
    if (p.length) throw new Error('problems on the page:\n  ' + p.join('\n  '));
  };
  return page;
}

async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// The way the pages write money (USD and other 2-decimal currencies).
function usd(minor) {
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(3, '0');
  const int = s.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '−' : ''}$${int}.${s.slice(-2)}`;
}

module.exports = { Server, launchBrowser, watchedPage, screenshot, usd, SHOTS };
