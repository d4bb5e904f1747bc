// Shapes of the data export routes and job.
import { z } from 'zod';

export const EXPORT_STATUSES = ['queued', 'ready', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export const exportRequestedSchema = z
  .object({ id: z.uuid(), status: z.literal('queued') })
  .meta({ id: 'DataExportRequested' });

export const exportSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(EXPORT_STATUSES),
    downloadUrl: z.string().nullable().describe('The file’s `media/{id}` URL, for its owner only, while it is ready and not expired'),
    expiresAt: z.iso.datetime({ offset: true }).nullable().describe('When the file stops being served: 24 h after it is ready'),
  })
  .meta({ id: 'DataExport' });
export type ExportView = z.output<typeof exportSchema>;

/** The job's payload: which export to build. */
export interface BuildExportJob {
  exportId: string;
}
