// Drives one sign-in in a real headless Chromium (playwright-core, pinned in
// package.json; no browser download: the system's /usr/bin/chromium):
//
//   node chromium-login.mjs <authorization-url> <login> <password>
//
// opens the authorization URL, fills oidc-provider's login and consent forms,
// waits until the browser lands on the loopback redirect URI (the URL's
// redirect_uri; a pushed request's URL has none: then the first page off the
// provider's origin), and prints ONE
// JSON line: {"url", "title", "text"} — the page the user sees. Exits 1 with
// the error on stderr otherwise. Everything is bounded by TIMEOUT_MS.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const TIMEOUT_MS = 20000;
const [url, login, password] = process.argv.slice(2);
const executablePath = process.env.IDAAS_CHROMIUM || '/usr/bin/chromium';
const redirectUri = new URL(url).searchParams.get('redirect_uri');
const userDataDir = mkdtempSync(join(tmpdir(), 'idaas-chromium-'));

const timer = setTimeout(() => {
  console.error(`chromium-login: no landing within ${TIMEOUT_MS} ms`);
  process.exit(1);
}, TIMEOUT_MS * 2);

let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    timeout: TIMEOUT_MS,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  await page.goto(url);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#allow');
  await page.click('#allow');
  const provider = new URL(url).origin;
  await page.waitForURL((u) => (redirectUri ? u.href.startsWith(redirectUri) : u.origin !== provider));
  await page.waitForLoadState('load');
  const result = { url: page.url(), title: await page.title(), text: await page.innerText('body') };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} catch (e) {
  console.error(`chromium-login: ${e.message}`);
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
  clearTimeout(timer);
}
