// Headless Chromium for the browser tests (Debian's chromium through playwright-core): where it
// is, a describe that is skipped with the reason where it is missing (run always in CI), and the
// launch flags these machines need.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describeWith } from './environment.ts';

export const CHROMIUM = '/usr/bin/chromium';

/** `describe` when Chromium is installed (or in CI); a skipped block naming it otherwise. */
export const describeWithChromium = describeWith(existsSync(CHROMIUM), `Chromium at ${CHROMIUM} (apt-get install chromium)`);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu'],
  });
}
