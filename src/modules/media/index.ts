// The media module: stored files (avatars, documents, screenshots) and their rows, served to the
// callers allowed to see them. Other modules store and forget files only through these functions.
import type { ModuleDescriptor } from '../module.ts';
import mediaRoutes from './media.routes.ts';

export {
  deleteFiles,
  filesDataOf,
  mediaUrl,
  removeObjects,
  replaceAvatar,
  reviewedDocumentView,
  storeFile,
  storeGeneratedFile,
  storeOptionalFile,
  type Attached,
} from './media.service.ts';

export const mediaModule: ModuleDescriptor = {
  name: 'media',
  routes: [{ prefix: '/media', plugin: mediaRoutes }],
  tags: [{ name: 'media', description: 'Uploaded files: avatars, qualification and application documents, bug screenshots.' }],
};
