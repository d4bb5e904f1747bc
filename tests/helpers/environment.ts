// Tests that need a part of the machine a newcomer may not have (Redis, PostgreSQL's server
// binaries, Chromium): on a developer's machine without it they are skipped with the reason
// (printed after the summary by skip-reasons-reporter.ts); in CI (CI=true, where .ci/run provides
// every part) they always run, so a missing part fails.
import { describe } from 'vitest';

export const inCi = Boolean(process.env.CI);

/** `describe` when `available` (or in CI); otherwise a skipped block that names what is missing. */
export function describeWith(available: boolean, missing: string) {
  return (name: string, body: () => void, options: { concurrent?: boolean } = {}) =>
    available || inCi ? describe(name, options, body) : describe.skip(`${name} (skipped: ${missing})`, body);
}
