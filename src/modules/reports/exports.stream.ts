// The CSV text of one export as a Readable: a cursor on a connection of its own streams the
// statement's rows, each already a CSV line written by the database (reports.queries.ts), and they
// leave in chunks of about CHUNK_CHARS, one at a time as storage takes them. Nothing else is held:
// a row is one short string, so a million of them keep the process's memory flat.
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import QueryStream from 'pg-query-stream';

export interface CsvExportTask {
  databaseUrl: string;
  /** A statement whose rows have one column: the CSV line of the row (exportStatement). */
  text: string;
  values: unknown[];
  columns: readonly string[];
}

// Rows per cursor fetch: enough to keep round trips few, few enough to keep memory flat.
const CURSOR_BATCH_ROWS = 500;
// Lines are handed on in pieces of about this many characters.
const CHUNK_CHARS = 64 * 1024;

/**
 * The CSV text of `task`'s rows, header first, CRLF after every record; `rows()` tells how many
 * data rows it held once the stream ended. Its connection is closed when the stream ends, fails
 * or is destroyed.
 */
export function csvExport(task: CsvExportTask): { stream: Readable; rows: () => number } {
  let rows = 0;
  let text = `${task.columns.join(',')}\r\n`;
  const stream = new Transform({
    writableObjectMode: true,
    writableHighWaterMark: 1,
    readableHighWaterMark: CHUNK_CHARS,
    transform([line]: [string], _encoding, done) {
      rows += 1;
      text += `${line}\r\n`;
      if (text.length < CHUNK_CHARS) return done();
      const chunk = text;
      text = '';
      done(null, chunk);
    },
    flush(done) {
      done(null, text);
    },
  });
  // Named, so that pg_stat_activity tells an export's long query apart.
  const client = new pg.Client({ connectionString: task.databaseUrl, application_name: 'clinic-csv-export' });
  // A connection lost between queries would otherwise be an unhandled 'error'.
  client.on('error', (error) => stream.destroy(error));
  client
    .connect()
    .then(() => pipeline(client.query(new QueryStream(task.text, task.values, { batchSize: CURSOR_BATCH_ROWS, highWaterMark: CURSOR_BATCH_ROWS, rowMode: 'array' })), stream))
    .catch((error: unknown) => stream.destroy(error as Error))
    .finally(() => client.end().catch(() => undefined));
  return { stream, rows: () => rows };
}
