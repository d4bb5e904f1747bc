// The media module: stored files (avatars, documents, screenshots) served to the callers allowed to see them.
import type { ModuleDescriptor } from '../module.ts';
import mediaRoutes from './media.routes.ts';

export const mediaModule: ModuleDescriptor = {
  name: 'media',
  prefix: '/media',
  routes: mediaRoutes,
  tag: { name: 'media', description: 'Uploaded files: avatars, qualification and application documents, bug screenshots.' },
};
