// Answers the idaas emulator's login page in a real headless Chromium (see
// chromium.mjs):
//
//   node chromium-emulator-login.mjs <authorization-url> <user> [approve|deny]
//
// opens the authorization URL, enters the demo user, clicks the button,
// waits until the browser lands on the loopback redirect URI (the URL's
// redirect_uri), and prints ONE JSON line: {"url", "title", "text"} — the
// page the application shows.

import { run } from './chromium.mjs';

const [url, user, decision = 'approve'] = process.argv.slice(2);
const redirectUri = new URL(url).searchParams.get('redirect_uri');

await run('chromium-emulator-login', 20000, async (page) => {
  await page.goto(url);
  await page.fill('#login', user);
  await Promise.all([
    page.waitForURL((u) => u.href.startsWith(redirectUri)),
    page.click(`#${decision}`),
  ]);
  await page.waitForLoadState('load');
  return { url: page.url(), title: await page.title(), text: await page.innerText('body') };
});
