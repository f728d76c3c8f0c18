// Drives one sign-in in a real headless Chromium (see chromium.mjs):
//
//   node chromium-login.mjs <authorization-url> <login> <password>
//
// opens the authorization URL, fills oidc-provider's login and consent forms,
// waits until the browser lands on the loopback redirect URI (the URL's
// redirect_uri; a pushed request's URL has none: then the first page off the
// provider's origin), and prints ONE
// JSON line: {"url", "title", "text"} — the page the user sees. Exits 1 with
// the error on stderr otherwise. Everything is bounded by the timeout.

import { run } from './chromium.mjs';

const [url, login, password] = process.argv.slice(2);
const redirectUri = new URL(url).searchParams.get('redirect_uri');

await run('chromium-login', 20000, async (page) => {
  await page.goto(url);
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#allow');
  await page.click('#allow');
  const provider = new URL(url).origin;
  await page.waitForURL((u) => (redirectUri ? u.href.startsWith(redirectUri) : u.origin !== provider));
  await page.waitForLoadState('load');
  return { url: page.url(), title: await page.title(), text: await page.innerText('body') };
});
