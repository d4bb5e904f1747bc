// The reports module: the appointment report and CSV exports of appointments and patients
// (operations/reports/, operations/exports/). It owns report_exports; it reads the other modules'
// tables in its own SQL (reports.queries.ts) and never writes them; the files are private media
// files of the media module.
import type { ModuleDescriptor } from '../module.ts';
import { buildExport, CSV_EXPORT_QUEUE } from './exports.service.ts';
import reportsRoutes from './reports.routes.ts';
import type { BuildExportJob } from './reports.schemas.ts';

export const reportsModule: ModuleDescriptor = {
  name: 'reports',
  routes: [{ prefix: '/operations', plugin: reportsRoutes }],
  tags: [{ name: 'reports', description: 'Appointment reports and CSV exports of appointments and patients.' }],
  jobs: [{ queue: CSV_EXPORT_QUEUE, handle: (ctx, job: BuildExportJob) => buildExport(ctx, job) }],
};
