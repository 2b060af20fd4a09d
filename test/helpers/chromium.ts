import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium, which playwright-core drives (it downloads no browser of its own). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Makes sure Chromium is installed, installing Debian's package when the tests run as root (as CI and a fresh
 * machine do), so `npm install && npm test` needs nothing else. Elsewhere it fails with the command to run.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${CHROMIUM} is missing: install it with "sudo apt-get install -y --no-install-recommends chromium"`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', env });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium, but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

/** Headless Chromium with a throwaway profile, closed (and the profile removed) when the test ends. */
export async function launchChromium(
  t: { after(fn: () => unknown): void },
  extraArgs: string[] = [],
): Promise<BrowserContext> {
  const executablePath = ensureChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), 'clawgate-chromium-'));
  const removeProfile = () => rmSync(userDataDir, { recursive: true, force: true });
  const context = await chromium
    .launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      timeout: 10_000,
      viewport: { width: 1400, height: 1000 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        ...extraArgs,
      ],
    })
    .catch((error: unknown) => {
      removeProfile();
      throw error;
    });
  // One hook, in this order: Chromium writes to its profile until it has exited.
  t.after(async () => {
    await context.close();
    removeProfile();
  });
  return context;
}
