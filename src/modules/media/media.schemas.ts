// What the media module knows about each kind of file: the types and sizes it takes, where it is
// stored, and how a reviewed submission with a document is shown.
import type { Readable } from 'node:stream';
import type { MediaKind } from '../../generated/prisma/enums.ts';
import type { UploadLimits } from '../../lib/uploads.ts';

export const MEDIA_PATH = '/v1/api/media';

/** Types (checked by content) and sizes each kind takes, and its storage key prefix. */
export const MEDIA_KINDS: Record<MediaKind, UploadLimits & { keyPrefix: string }> = {
  avatar: { maxBytes: 2 * 1024 * 1024, allowed: ['image/jpeg', 'image/png', 'image/webp'], keyPrefix: 'avatar' },
  qualification_document: { maxBytes: 5 * 1024 * 1024, allowed: ['application/pdf', 'image/jpeg', 'image/png'], keyPrefix: 'qualification-document' },
  application_document: { maxBytes: 5 * 1024 * 1024, allowed: ['application/pdf', 'image/jpeg', 'image/png'], keyPrefix: 'application-document' },
  bug_screenshot: { maxBytes: 5 * 1024 * 1024, allowed: ['image/png', 'image/jpeg'], keyPrefix: 'bug-screenshot' },
  // Written by the service (storeGeneratedFile): nothing may be uploaded as one.
  data_export: { maxBytes: 0, allowed: [], keyPrefix: 'data-export' },
  report_export: { maxBytes: 0, allowed: [], keyPrefix: 'report-export' },
};

/** Files the service made for one user (storeGeneratedFile): served to that user only, until they expire. */
export const GENERATED_KINDS: readonly MediaKind[] = ['data_export', 'report_export'];

/** What the GET media route answers: a stream (local disk) or a signed URL to redirect to (S3). */
export type MediaAnswer =
  | { kind: 'redirect'; url: string }
  | { kind: 'stream'; stream: Readable; contentType: string; size: number | undefined; public: boolean };
