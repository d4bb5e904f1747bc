// Shapes of the appointment report and the CSV export routes, and the export job's payload.
import { z } from 'zod';
import { isoDate } from '../../schemas/common.ts';

export const GROUP_BYS = ['day', 'doctor', 'status'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/** The longest range one report covers, in days (both ends included). */
export const MAX_REPORT_DAYS = 366;

export const reportQuery = z.strictObject({
  from: isoDate().describe('First date (in REPORT_TIMEZONE), included'),
  to: isoDate().describe(`Last date (in REPORT_TIMEZONE), included; at most ${MAX_REPORT_DAYS} days after \`from\``),
  doctorId: z.uuid().optional().describe('Admins: one doctor only. Doctors see their own appointments whether or not they send their own id.'),
  groupBy: z.enum(GROUP_BYS).default('day'),
});
export type ReportQuery = z.output<typeof reportQuery>;

const counts = {
  total: z.number().int().describe('Every appointment of the row, whatever its status (rescheduled ones included)'),
  completed: z.number().int(),
  cancelled: z.number().int().describe('Every cancelled appointment, late ones included'),
  lateCancelled: z.number().int().describe('Cancelled by the doctor inside the patient’s cancellation notice (a part of `cancelled`)'),
  noShow: z.number().int(),
  rescheduled: z.number().int(),
};

export const reportCountsSchema = z.object(counts).meta({ id: 'AppointmentReportCounts' });
export type ReportCounts = z.output<typeof reportCountsSchema>;

export const reportSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(GROUP_BYS),
    rows: z.array(
      z.object({
        key: z.string().describe('The day (`YYYY-MM-DD` in REPORT_TIMEZONE), the doctor’s id or the status'),
        ...counts,
      }),
    ),
    totals: reportCountsSchema,
  })
  .meta({ id: 'AppointmentReport' });
export type ReportView = z.output<typeof reportSchema>;

export const EXPORT_KINDS = ['appointments', 'patients'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_STATUSES = ['queued', 'ready', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const exportBody = z
  .strictObject({
    kind: z.enum(EXPORT_KINDS),
    from: isoDate().optional().describe('First date included (in REPORT_TIMEZONE): of `startsAt` for appointments, of `createdAt` for patients'),
    to: isoDate().optional().describe('Last date included (in REPORT_TIMEZONE)'),
    format: z.literal('csv'),
  })
  .meta({ id: 'CsvExportRequest' });
export type ExportBody = z.output<typeof exportBody>;

export const exportRequestedSchema = z.object({ id: z.uuid(), status: z.literal('queued') }).meta({ id: 'CsvExportRequested' });

export const exportSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(EXPORT_KINDS),
    status: z.enum(EXPORT_STATUSES),
    rowCount: z.number().int().nullable().describe('Data rows in the file (the header not counted), once it is ready'),
    downloadUrl: z.string().nullable().describe('The file’s `media/{id}` URL, for its requester only, while it is ready and not expired'),
    expiresAt: z.iso.datetime({ offset: true }).nullable().describe('When the file stops being served: 24 h after it is ready'),
  })
  .meta({ id: 'CsvExport' });
export type ExportView = z.output<typeof exportSchema>;

/** The job's payload: which export to build. */
export interface BuildExportJob {
  exportId: string;
}
