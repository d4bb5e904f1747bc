// The CSV writer of the exports: csv-stringify set to RFC 4180 (header row, CRLF, quotes where
// needed), instants as ISO 8601 UTC, and no cell a spreadsheet would run as a formula.
import { stringify, type Stringifier } from 'csv-stringify';

// Spreadsheets evaluate a cell that starts with one of these (OWASP "CSV injection").
const FORMULA_START = /^[=+\-@\t\r]/;

/** `text`, prefixed with `'` when a spreadsheet would read it as a formula. */
export function formulaSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** A transform from row objects (keys named as `columns`) to CSV text. */
export function csvWriter(columns: readonly string[]): Stringifier {
  return stringify({
    header: true,
    columns: [...columns],
    record_delimiter: 'windows',
    cast: { date: (value) => value.toISOString(), string: formulaSafe },
  });
}
