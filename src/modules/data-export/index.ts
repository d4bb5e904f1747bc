// The data export module: a user's self-service export of everything the service holds about
// them (user/me/export/), built by a job from the other modules' public read functions. It owns
// data_exports; the file is a private media file of the media module.
import type { ModuleDescriptor } from '../module.ts';
import dataExportRoutes from './data-export.routes.ts';
import { buildExport, EXPORT_QUEUE } from './data-export.service.ts';
import type { BuildExportJob } from './data-export.schemas.ts';

export const dataExportModule: ModuleDescriptor = {
  name: 'data-export',
  routes: [{ prefix: '/user', plugin: dataExportRoutes }],
  tags: [{ name: 'data-export', description: 'Self-service export of everything the service holds about you.' }],
  jobs: [{ queue: EXPORT_QUEUE, handle: (ctx, job: BuildExportJob) => buildExport(ctx, job) }],
};
