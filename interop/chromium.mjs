// The headless Chromium the browser scripts drive (playwright-core, pinned in
// package.json; no browser download: the system's /usr/bin/chromium or
// $IDAAS_CHROMIUM). `run(name, timeoutMs, steps)` launches it in a throwaway
// profile, runs `steps(page)`, prints its result as ONE JSON line, and always
// cleans up; a failure is exit 1 with `name: error` on stderr.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

export async function run(name, timeoutMs, steps) {
  const executablePath = process.env.IDAAS_CHROMIUM || '/usr/bin/chromium';
  const userDataDir = mkdtempSync(join(tmpdir(), 'idaas-chromium-'));
  const timer = setTimeout(() => {
    console.error(`${name}: no result within ${timeoutMs} ms`);
    process.exit(1);
  }, timeoutMs * 2);
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      timeout: timeoutMs,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(timeoutMs);
    const result = await steps(page);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (e) {
    console.error(`${name}: ${e.message}`);
    process.exitCode = 1;
  } finally {
    await context?.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
    clearTimeout(timer);
  }
}
