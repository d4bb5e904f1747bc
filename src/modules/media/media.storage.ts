// The application's one Storage (local disk or S3), made once per configuration, and the public URL of a media file.
import type { Config } from '../../config.ts';
import type { ServiceContext } from '../../lib/context.ts';
import { createStorage, type Storage } from '../../lib/storage.ts';
import type { UploadLimits } from '../../lib/uploads.ts';

// One per app: buildApp makes one Config object per application, so tests with other settings get their own.
const storages = new WeakMap<Config, Storage>();

export function storageFor(config: Config): Storage {
  let storage = storages.get(config);
  if (!storage) {
    storage = createStorage(config);
    storages.set(config, storage);
  }
  return storage;
}

/** What services that take uploads receive: the request context plus the storage. */
export interface MediaContext extends ServiceContext {
  storage: Storage;
}

export const withStorage = (ctx: ServiceContext): MediaContext => ({ ...ctx, storage: storageFor(ctx.config) });

export const AVATAR_LIMITS: UploadLimits = { maxBytes: 2 * 1024 * 1024, allowed: ['image/jpeg', 'image/png', 'image/webp'] };
export const DOCUMENT_LIMITS: UploadLimits = { maxBytes: 5 * 1024 * 1024, allowed: ['application/pdf', 'image/jpeg', 'image/png'] };

export const MEDIA_PATH = '/v1/api/media';

/** Where clients fetch a media file: absolute on PUBLIC_URL when set, else a path on this host. */
export function mediaUrl(config: Pick<Config, 'publicUrl'>, id: string | null): string | null {
  if (id === null) return null;
  const base = config.publicUrl ? config.publicUrl.replace(/\/+$/, '') : '';
  return `${base}${MEDIA_PATH}/${id}`;
}

/**
 * A reviewed submission with an optional document (qualifications, doctor applications) as the
 * API shows it: the document as its URL, the times as ISO strings.
 */
export function reviewedDocumentView<Row extends { documentId: string | null; createdAt: Date; reviewedAt: Date | null }>(
  config: Pick<Config, 'publicUrl'>,
  row: Row,
): Omit<Row, 'documentId' | 'createdAt' | 'reviewedAt'> & { documentUrl: string | null; createdAt: string; reviewedAt: string | null } {
  const { documentId, createdAt, reviewedAt, ...rest } = row;
  return { ...rest, documentUrl: mediaUrl(config, documentId), createdAt: createdAt.toISOString(), reviewedAt: reviewedAt?.toISOString() ?? null };
}
