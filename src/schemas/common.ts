// Small zod pieces shared by every module: ids, emails, messages, bounded instants and dates.
import { z } from 'zod';
import { emailString } from '../lib/strings.ts';

export const uuidSchema = z.uuid();

/** Emails are matched case-insensitively and stored lower-cased; OpenAPI shows `format: email`. */
export const emailSchema = emailString();

export const detailSchema = z.object({ detail: z.string() }).meta({ id: 'Detail' });

export const idParamsSchema = z.object({ id: z.uuid() });

/**
 * The years an instant or date input may fall in, both included. Beyond them nothing the clinic
 * does makes sense, and the code after validation (calendar files, date arithmetic, PostgreSQL's
 * timestamptz) need not cope with year 10000.
 */
export const FIRST_YEAR = 2000;
export const LAST_YEAR = 2100;

/** `message` for a malformed value; a missing one keeps the global "Required" (plugins/errors.ts). */
const formatError = (message: string) => (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message);

/**
 * An instant input: ISO 8601 with an offset (`2026-12-01T09:30:00Z`), in the UTC years
 * FIRST_YEAR..LAST_YEAR (so `9999-12-31T20:00:00-12:00`, year 10000 in UTC, is refused). The
 * output is the string as sent, like `z.iso.datetime`.
 */
export function instant() {
  const earliest = Date.UTC(FIRST_YEAR, 0, 1);
  const latest = Date.UTC(LAST_YEAR + 1, 0, 1);
  return z.iso
    .datetime({ offset: true, abort: true, error: formatError('must be an ISO 8601 instant with an offset, such as 2026-12-01T09:30:00Z') })
    .refine((value) => {
      const time = Date.parse(value);
      return time >= earliest && time < latest;
    }, `must be in the years ${FIRST_YEAR} to ${LAST_YEAR}`);
}

/**
 * A date input `YYYY-MM-DD` that exists, from `from` (default FIRST_YEAR-01-01; a date of birth
 * passes an earlier one) to the end of LAST_YEAR. The output is the string as sent.
 */
export function isoDate({ from = `${FIRST_YEAR}-01-01` }: { from?: string } = {}) {
  const to = `${LAST_YEAR}-12-31`;
  return z.iso
    .date({ abort: true, error: formatError('must be a date YYYY-MM-DD') })
    .refine((value) => value >= from && value <= to, `must be between ${from} and ${to}`);
}
