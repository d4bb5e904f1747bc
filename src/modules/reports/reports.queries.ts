// The reports module's SQL. Reports only read: appointments, doctors, patients and users belong to
// the scheduling, doctors, patients and accounts modules, and are never written here. Its own
// table is report_exports.
import { Prisma } from '../../generated/prisma/client.ts';
import type { DbClient } from '../../lib/db.ts';
import type { ExportKind, GroupBy, ReportCounts } from './reports.schemas.ts';

/** Dates `from`..`to` (both included, either open) of the zone `timezone`, as a condition on `column`. */
function dateRange(column: Prisma.Sql, range: { from: string | null; to: string | null; timezone: string }): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  // Bounds computed once from the dates (midnight in the zone), so the column keeps its index.
  if (range.from !== null) conditions.push(Prisma.sql`${column} >= (${range.from}::date::timestamp AT TIME ZONE ${range.timezone})`);
  if (range.to !== null) conditions.push(Prisma.sql`${column} < ((${range.to}::date + 1)::timestamp AT TIME ZONE ${range.timezone})`);
  return conditions;
}

const whereAll = (conditions: Prisma.Sql[]) => (conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty);

// The key of each grouping (from a fixed list, never from input text), grouped on its own type
// and shown as text once per group: the month of every doctor hashes 43,000 dates or uuids, not strings.
const GROUP_KEYS: Record<GroupBy, { group: (timezone: string) => Prisma.Sql; show: Prisma.Sql }> = {
  day: { group: (timezone) => Prisma.sql`(starts_at AT TIME ZONE ${timezone})::date`, show: Prisma.sql`to_char(key, 'YYYY-MM-DD')` },
  doctor: { group: () => Prisma.sql`doctor_id`, show: Prisma.sql`key::text` },
  status: { group: () => Prisma.sql`status`, show: Prisma.sql`key::text` },
};

interface ReportRow {
  key: string | null;
  total: number;
  completed: number;
  cancelled: number;
  late_cancelled: number;
  no_show: number;
  rescheduled: number;
}

const countsOf = (row: ReportRow): ReportCounts => ({
  total: row.total,
  completed: row.completed,
  cancelled: row.cancelled,
  lateCancelled: row.late_cancelled,
  noShow: row.no_show,
  rescheduled: row.rescheduled,
});

/**
 * Appointments of `from`..`to` (days of `startsAt` in `timezone`) counted per key and in total, in
 * one statement: the grouping sets give the rows and the totals row (the one whose key is null,
 * present even when no appointment matches). appointments_report_idx serves it as an index-only scan.
 */
export async function appointmentCounts(
  db: DbClient,
  filter: { from: string; to: string; timezone: string; doctorId: string | null; groupBy: GroupBy },
): Promise<{ rows: (ReportCounts & { key: string })[]; totals: ReportCounts }> {
  const conditions = dateRange(Prisma.sql`starts_at`, filter);
  if (filter.doctorId !== null) conditions.push(Prisma.sql`doctor_id = ${filter.doctorId}::uuid`);
  const grouping = GROUP_KEYS[filter.groupBy];
  const rows = await db.$queryRaw<ReportRow[]>`
    SELECT ${grouping.show} AS key,
           count(*)::int AS total,
           count(*) FILTER (WHERE status = 'completed')::int AS completed,
           count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
           count(*) FILTER (WHERE status = 'cancelled' AND late_cancel)::int AS late_cancelled,
           count(*) FILTER (WHERE status = 'no_show')::int AS no_show,
           count(*) FILTER (WHERE status = 'rescheduled')::int AS rescheduled
      FROM (SELECT ${grouping.group(filter.timezone)} AS key, status, late_cancel
              FROM appointments ${whereAll(conditions)}) AS scoped
     GROUP BY GROUPING SETS ((scoped.key), ())
     ORDER BY GROUPING(scoped.key), scoped.key`;
  const totals = rows.find((row) => row.key === null)!;
  return {
    rows: rows.filter((row) => row.key !== null).map((row) => ({ key: row.key!, ...countsOf(row) })),
    totals: countsOf(totals),
  };
}

/** The doctor profile of a user, if they have one. */
export async function doctorIdOfUser(db: DbClient, userId: string): Promise<string | null> {
  const [row] = await db.$queryRaw<{ id: string }[]>`SELECT id FROM doctors WHERE user_id = ${userId}::uuid`;
  return row?.id ?? null;
}

export async function doctorExists(db: DbClient, doctorId: string): Promise<boolean> {
  const [row] = await db.$queryRaw<{ found: boolean }[]>`SELECT EXISTS (SELECT 1 FROM doctors WHERE id = ${doctorId}::uuid) AS found`;
  return row?.found ?? false;
}

/** The address the mail of a ready export goes to. */
export async function emailOfUser(db: DbClient, userId: string): Promise<string | null> {
  const [row] = await db.$queryRaw<{ email: string }[]>`SELECT email FROM users WHERE id = ${userId}::uuid AND deleted_at IS NULL`;
  return row?.email ?? null;
}

/** How the statement writes a column into its CSV cell. */
type CellKind = 'text' | 'instant' | 'plain';

/**
 * The columns of each CSV export, in the order of the file (API.md, "v1.1 details"), with how
 * each is written: `text` for free text (formula-safe, quoted where needed), `instant` for a
 * timestamp, `plain` for values whose characters never need either (ids, enums, dates).
 */
const EXPORT_CELLS: Record<ExportKind, readonly (readonly [name: string, kind: CellKind])[]> = {
  appointments: [
    ['id', 'plain'], ['startsAt', 'instant'], ['endsAt', 'instant'], ['status', 'plain'], ['type', 'plain'], ['doctorId', 'plain'],
    ['doctorFirstName', 'text'], ['doctorLastName', 'text'], ['patientId', 'plain'], ['patientFirstName', 'text'],
    ['patientLastName', 'text'], ['reason', 'text'], ['createdAt', 'instant'],
  ],
  patients: [
    ['id', 'plain'], ['email', 'text'], ['firstName', 'text'], ['lastName', 'text'], ['phone', 'text'], ['gender', 'plain'],
    ['dateOfBirth', 'plain'], ['createdAt', 'instant'],
  ],
};

export const EXPORT_COLUMNS: Record<ExportKind, readonly string[]> = {
  appointments: EXPORT_CELLS.appointments.map(([name]) => name),
  patients: EXPORT_CELLS.patients.map(([name]) => name),
};

/**
 * One CSV cell of `value`, as RFC 4180 and the contract want it: an instant as ISO 8601 UTC with
 * milliseconds (truncated, as a JavaScript Date has them); text a spreadsheet would run as a
 * formula (it starts with `=`, `+`, `-`, `@`, tab or carriage return: OWASP "CSV injection")
 * prefixed with `'`, and text holding a comma, a quote or a line break quoted, its quotes doubled;
 * null as an empty cell.
 */
function csvCell(value: Prisma.Sql, kind: CellKind): Prisma.Sql {
  if (kind === 'instant') return Prisma.sql`coalesce(to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '')`;
  if (kind === 'plain') return Prisma.sql`coalesce(${value}::text, '')`;
  const formulaSafe = Prisma.sql`CASE WHEN ${value} ~ '^[=+\\-@\\t\\r]' THEN '''' || ${value} ELSE ${value} END`;
  return Prisma.sql`coalesce(CASE WHEN ${value} ~ '[",\\r\\n]' THEN '"' || replace(${formulaSafe}, '"', '""') || '"' ELSE ${formulaSafe} END, '')`;
}

/**
 * The rows of `scoped` (its columns named as EXPORT_CELLS) as one column, `line`: each row's CSV
 * line without its line break, in the order of `orderBy` (columns of `scoped`).
 */
function csvLines(kind: ExportKind, scoped: Prisma.Sql, orderBy: string[]): { text: string; values: unknown[] } {
  const column = (name: string) => Prisma.raw(`scoped."${name}"`);
  const cells = EXPORT_CELLS[kind].map(([name, cellKind]) => csvCell(column(name), cellKind));
  const statement = Prisma.sql`SELECT ${Prisma.join(cells, " || ',' || ")} AS line FROM (${scoped}) AS scoped ORDER BY ${Prisma.join(orderBy.map(column))}`;
  return { text: statement.text, values: statement.values };
}

export interface ExportScope {
  kind: ExportKind;
  from: string | null;
  to: string | null;
  timezone: string;
  /** Only this doctor's appointments (a doctor's own export). */
  doctorId: string | null;
}

/**
 * The statement whose rows are one export's CSV lines, in one text column (csvLines), for a cursor
 * to stream: appointments by `startsAt`, patients (erased accounts left out) by `createdAt`. The
 * database writes the cells, so the export allocates one string per row, not a row object, Dates
 * and a formatted copy of every cell.
 */
export function exportStatement(scope: ExportScope): { text: string; values: unknown[] } {
  if (scope.kind === 'patients') {
    const statement = Prisma.sql`
      SELECT p.id, u.email, u.first_name AS "firstName", u.last_name AS "lastName", p.phone, p.gender::text AS gender,
             p.date_of_birth::text AS "dateOfBirth", p.created_at AS "createdAt"
        FROM patients p JOIN users u ON u.id = p.user_id
       ${whereAll([Prisma.sql`u.deleted_at IS NULL`, ...dateRange(Prisma.sql`p.created_at`, scope)])}`;
    return csvLines('patients', statement, ['createdAt', 'id']);
  }
  const conditions = dateRange(Prisma.sql`a.starts_at`, scope);
  if (scope.doctorId !== null) conditions.push(Prisma.sql`a.doctor_id = ${scope.doctorId}::uuid`);
  const statement = Prisma.sql`
    SELECT a.id, a.starts_at AS "startsAt", a.ends_at AS "endsAt", a.status::text AS status, a.type::text AS type,
           a.doctor_id AS "doctorId", du.first_name AS "doctorFirstName", du.last_name AS "doctorLastName",
           a.patient_id AS "patientId", pu.first_name AS "patientFirstName", pu.last_name AS "patientLastName",
           a.reason, a.created_at AS "createdAt"
      FROM appointments a
      JOIN doctors d ON d.id = a.doctor_id JOIN users du ON du.id = d.user_id
      JOIN patients p ON p.id = a.patient_id JOIN users pu ON pu.id = p.user_id
     ${whereAll(conditions)}`;
  return csvLines('appointments', statement, ['startsAt', 'id']);
}
