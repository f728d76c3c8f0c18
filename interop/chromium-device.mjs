// Decides one device code on the idaas emulator's verification page in a
// real headless Chromium (see chromium.mjs):
//
//   node chromium-device.mjs <verification_uri> <user_code> [approve|deny]
//
// opens the page, types the code, clicks the button, and prints ONE JSON
// line: {"url", "title", "text"} — the result page.

import { run } from './chromium.mjs';

const [url, userCode, decision = 'approve'] = process.argv.slice(2);

await run('chromium-device', 20000, async (page) => {
  await page.goto(url);
  await page.fill('#user_code', userCode);
  await Promise.all([page.waitForNavigation(), page.click(`#${decision}`)]);
  await page.waitForSelector('#result');
  return { url: page.url(), title: await page.title(), text: await page.innerText('body') };
});
