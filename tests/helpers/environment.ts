// Tests that need a part of the machine a newcomer may not have (Redis, PostgreSQL's server
// binaries, Chromium): on a developer's machine without it they are skipped with the reason; in
// CI (CI=true, where .ci/run provides every part) they always run, so a missing part fails.
import { describe } from 'vitest';

export const inCi = Boolean(process.env.CI);

/** `describe` when `available` (or in CI); otherwise a skipped block that names what is missing. */
export function describeWith(available: boolean, missing: string) {
  if (available || inCi) return describe;
  return (name: string, body: () => void) => describe.skip(`${name} (skipped: ${missing})`, body);
}
