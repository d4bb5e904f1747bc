// The bounded instant and date inputs every module's schemas share: ISO 8601 with an offset (or
// YYYY-MM-DD), within the years 2000..2100, measured in UTC.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FIRST_YEAR, instant, isoDate, LAST_YEAR } from '../../src/schemas/common.ts';

const messagesOf = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
};

describe('instant()', () => {
  it('takes instants with an offset within the years 2000..2100, and answers them as sent', () => {
    expect([FIRST_YEAR, LAST_YEAR]).toEqual([2000, 2100]);
    for (const value of ['2026-12-01T09:30:00Z', '2026-12-01T09:30:00.123+05:30', '2000-01-01T00:00:00Z', '2100-12-31T23:59:59.999Z', '2001-01-01T00:30:00+01:00']) {
      expect(instant().parse(value), value).toBe(value);
    }
  });

  it('refuses year 10000 in UTC however it is written, and the years before 2000 or after 2100', () => {
    for (const value of ['9999-12-31T20:00:00-12:00', '2101-01-01T00:00:00Z', '2100-12-31T23:30:00-01:00', '1999-12-31T23:59:59Z', '2000-01-01T00:30:00+01:00', '0001-01-01T00:00:00Z']) {
      expect(messagesOf(instant(), value), value).toEqual(['must be in the years 2000 to 2100']);
    }
  });

  it('refuses what is not an instant with an offset, with one clear message', () => {
    for (const value of ['2026-12-01T09:30:00', '2026-12-01', 'tomorrow', '2026-13-01T00:00:00Z', '']) {
      expect(messagesOf(instant(), value), value).toEqual(['must be an ISO 8601 instant with an offset, such as 2026-12-01T09:30:00Z']);
    }
  });
});

describe('isoDate()', () => {
  it('takes dates from 2000-01-01 to 2100-12-31 by default', () => {
    for (const value of ['2000-01-01', '2026-02-28', '2100-12-31']) expect(isoDate().parse(value), value).toBe(value);
    for (const value of ['1999-12-31', '2101-01-01', '9999-12-31']) {
      expect(messagesOf(isoDate(), value), value).toEqual(['must be between 2000-01-01 and 2100-12-31']);
    }
  });

  it('takes an earlier first day where one makes sense (dates of birth), never a later last one', () => {
    const dateOfBirth = isoDate({ from: '1900-01-01' });
    expect(dateOfBirth.parse('1950-06-15')).toBe('1950-06-15');
    expect(messagesOf(dateOfBirth, '1899-12-31')).toEqual(['must be between 1900-01-01 and 2100-12-31']);
    expect(messagesOf(dateOfBirth, '2101-01-01')).toEqual(['must be between 1900-01-01 and 2100-12-31']);
  });

  it('refuses dates that do not exist or are not YYYY-MM-DD', () => {
    for (const value of ['2026-02-30', '2026-2-1', '2026-12-01T00:00:00Z']) {
      expect(messagesOf(isoDate(), value), value).toEqual(['must be a date YYYY-MM-DD']);
    }
  });
});
