/**
 * Debian's Chromium (/usr/bin/chromium) driven by playwright-core, for the console's browser
 * tests; screenshots go to test-results/<folder>/ (git-ignored) so a person can look at them.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { PROJECT_ROOT } from '../../scripts/lib/migrations.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
}

export function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** test-results/<folder>, created; where a test's screenshots go. */
export async function screenshotFolder(folder: string): Promise<string> {
  const path = join(PROJECT_ROOT, 'test-results', folder);
  await mkdir(path, { recursive: true });
  return path;
}
