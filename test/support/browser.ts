/**
 * Debian's Chromium for tests, driven by playwright-core: headless, no sandbox (containers),
 * no network beyond what the page asks (and our pages ask nothing), a fresh user-data dir per
 * launch, removed on close. Use inside describeWithPeers(['chromium'], …).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { probeTool } from '../../harness/support/host-tools.ts';

export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export interface TestBrowser {
  context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh profile; `timeoutMs` bounds the launch. Offline by default; a
 * test of a page served on loopback (the live console) passes `{ offline: false }`.
 */
export async function launchChromium(
  timeoutMs = 30_000,
  opts: { offline?: boolean } = {},
): Promise<TestBrowser> {
  const executablePath = probeTool('chromium').path ?? '/usr/bin/chromium';
  const userDataDir = mkdtempSync(join(tmpdir(), 'sbc-harness-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: timeoutMs,
      offline: opts.offline ?? true,
      viewport: { width: 1280, height: 900 },
    });
    return {
      context,
      close: async () => {
        try {
          await context.close();
        } finally {
          rmSync(userDataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
}
