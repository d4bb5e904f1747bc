// Media files: storing an upload with its media_files row in the transaction of whatever points at
// it (an avatar, a document, a screenshot), forgetting files, and serving them to those allowed to see them.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import type { MediaKind } from '../../generated/prisma/enums.ts';
import type { Config } from '../../config.ts';
import { inTransaction, type Actor, type ServiceContext, type TxContext } from '../../lib/context.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { MAX_SIGNED_URL_SECONDS } from '../../lib/storage.ts';
import { storeUpload, type IncomingFile } from '../../lib/uploads.ts';
import { fileNotFound } from './media.errors.ts';
import * as queries from './media.queries.ts';
import { GENERATED_KINDS, MEDIA_KINDS, MEDIA_PATH, type MediaAnswer } from './media.schemas.ts';

/** A client's file name, kept only for display: no control characters, bounded. */
function cleanName(filename: string | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const clean = (filename ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean || null;
}

/** Where clients fetch a media file: absolute on PUBLIC_URL when set, else a path on this host. */
export function mediaUrl(config: Pick<Config, 'publicUrl'>, id: string | null): string | null {
  if (id === null) return null;
  const base = config.publicUrl ? config.publicUrl.replace(/\/+$/, '') : '';
  return `${base}${MEDIA_PATH}/${id}`;
}

/** Removes stored objects no row points to any more; best effort (a leftover object is harmless, never served). */
export async function removeObjects(ctx: Pick<ServiceContext, 'storage'>, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => ctx.storage.delete(key).catch(() => undefined)));
}

/** What the owner's write answers: its result, and the media file it replaced (an older avatar), if any. */
export interface Attached<T> {
  result: T;
  replacedMediaId?: string | null;
}

/**
 * Streams `file` into storage (type sniffed and size capped by its kind), then in one transaction
 * creates its media_files row and runs `attach`, where the owning module points its own row at
 * the new file. A replaced file's row goes in the same transaction and its object after the
 * commit. A refused upload stores nothing; a failed transaction removes the object again.
 */
export async function storeFile<T>(
  ctx: ServiceContext,
  input: { file: IncomingFile; kind: MediaKind; ownerId: string | null },
  attach: (tx: TxContext, mediaId: string) => Promise<Attached<T>>,
): Promise<T> {
  const { keyPrefix, ...limits } = MEDIA_KINDS[input.kind];
  const stored = await storeUpload(ctx.storage, input.file.stream, { kind: keyPrefix, ...limits });
  const row = { ownerId: input.ownerId, kind: input.kind, ...stored, originalName: cleanName(input.file.filename), expiresAt: null };
  return recordStored(ctx, row, attach);
}

/**
 * Stores a file the service made (a data export, a CSV export) for `ownerId`, served until
 * `expiresAt`, then creates its row and runs `attach` in one transaction, as storeFile does for
 * uploads. A stream `body` is written as it comes, never held whole; its key takes `name`'s extension.
 */
export async function storeGeneratedFile<T>(
  ctx: ServiceContext,
  input: { kind: MediaKind; ownerId: string; contentType: string; body: Buffer | Readable; name: string; expiresAt: Date },
  attach: (tx: TxContext, mediaId: string) => Promise<Attached<T>>,
): Promise<T> {
  const key = `${MEDIA_KINDS[input.kind].keyPrefix}/${randomUUID()}${path.extname(input.name)}`;
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(null, chunk);
    },
  });
  const body = Buffer.isBuffer(input.body) ? Readable.from([input.body]) : input.body;
  // A failing source destroys `counted` with its error, which fails the put: nothing to do here.
  await ctx.storage.put(key, pipeline(body, counted, () => undefined), input.contentType);
  const { kind, ownerId, contentType, name, expiresAt } = input;
  return recordStored(ctx, { ownerId, kind, key, contentType, size, originalName: name, expiresAt }, attach);
}

/** The media_files row of an object just stored, with `attach`, in one transaction; a failure removes the object. */
async function recordStored<T>(
  ctx: ServiceContext,
  stored: { ownerId: string | null; kind: MediaKind; key: string; contentType: string; size: number; originalName: string | null; expiresAt: Date | null },
  attach: (tx: TxContext, mediaId: string) => Promise<Attached<T>>,
): Promise<T> {
  let outcome: { result: T; obsoleteKeys: string[] };
  try {
    outcome = await inTransaction(ctx, async (tx) => {
      const mediaId = await queries.insertMedia(tx.db, {
        ownerId: stored.ownerId,
        kind: stored.kind,
        storage: ctx.storage.driver,
        storageKey: stored.key,
        contentType: stored.contentType,
        sizeBytes: stored.size,
        originalName: stored.originalName,
        createdAt: ctx.clock.now(),
        expiresAt: stored.expiresAt,
      });
      const attached = await attach(tx, mediaId);
      const obsoleteKeys = attached.replacedMediaId ? await queries.deleteMedia(tx.db, { ids: [attached.replacedMediaId] }) : [];
      return { result: attached.result, obsoleteKeys };
    });
  } catch (error) {
    await removeObjects(ctx, [stored.key]);
    throw error;
  }
  await removeObjects(ctx, outcome.obsoleteKeys);
  return outcome.result;
}

/**
 * Stores a new avatar (JPEG/PNG/WebP, at most 2 MiB) of `ownerId` and, in the same transaction,
 * lets the profile's module point its row at it: `swap` answers the avatar it replaced (null for
 * none), or undefined when there is no such profile (404, and nothing is kept).
 */
export async function replaceAvatar(
  ctx: ServiceContext,
  input: { file: IncomingFile; ownerId: string },
  swap: (tx: TxContext, mediaId: string) => Promise<string | null | undefined>,
): Promise<void> {
  await storeFile(ctx, { file: input.file, kind: 'avatar', ownerId: input.ownerId }, async (tx, mediaId) => {
    const replacedMediaId = await swap(tx, mediaId);
    if (replacedMediaId === undefined) throw new NotFoundError();
    return { result: undefined, replacedMediaId };
  });
}

/**
 * For rows that may carry a document (qualifications, doctor applications): with a file, storeFile
 * and `create` in its transaction, given the media id; without, `create` in a transaction of its own with null.
 */
export async function storeOptionalFile<T>(
  ctx: ServiceContext,
  input: { file: IncomingFile | undefined; kind: MediaKind; ownerId: string | null },
  create: (tx: TxContext, mediaId: string | null) => Promise<T>,
): Promise<T> {
  const { file } = input;
  if (!file) return inTransaction(ctx, (tx) => create(tx, null));
  return storeFile(ctx, { ...input, file }, async (tx, mediaId) => ({ result: await create(tx, mediaId) }));
}

/**
 * Deletes, inside the caller's transaction, the rows of the files `ids` and of every file of
 * `ownerId` of `kind`; answers their storage keys, for removeObjects once the transaction committed.
 */
export function deleteFiles(tx: TxContext, filter: { ids: readonly string[]; ownerId?: string; kind?: MediaKind }): Promise<string[]> {
  return queries.deleteMedia(tx.db, filter);
}

/**
 * A submission with an optional document (qualifications, doctor applications) as the API shows
 * it: the document as its URL, the times as ISO strings.
 */
export function reviewedDocumentView<Row extends { documentId: string | null; createdAt: Date; reviewedAt: Date | null }>(
  config: Pick<Config, 'publicUrl'>,
  row: Row,
): Omit<Row, 'documentId' | 'createdAt' | 'reviewedAt'> & { documentUrl: string | null; createdAt: string; reviewedAt: string | null } {
  const { documentId, createdAt, reviewedAt, ...rest } = row;
  return { ...rest, documentUrl: mediaUrl(config, documentId), createdAt: createdAt.toISOString(), reviewedAt: reviewedAt?.toISOString() ?? null };
}

/** A user's files (avatars, documents; not their data exports) with their links, for the data export. */
export async function filesDataOf(ctx: Pick<ServiceContext, 'db' | 'config'>, userId: string) {
  const files = await queries.selectFilesOf(ctx.db, userId);
  return files.map((file) => ({ ...file, url: mediaUrl(ctx.config, file.id) }));
}

/**
 * A media file for the caller: avatars are public; qualification and application documents go to
 * their owner and admins; bug screenshots to admins; a data or CSV export to its owner only, until it
 * expires. Anything else is 404, as is a missing file.
 */
export async function openMedia(ctx: ServiceContext, input: { id: string }, actor: Actor | null): Promise<MediaAnswer> {
  const media = await queries.findMedia(ctx.db, input.id);
  if (!media) throw fileNotFound();
  if (media.expiresAt !== null && media.expiresAt.getTime() <= ctx.clock.now().getTime()) throw fileNotFound();
  const isAdmin = actor?.role === 'admin';
  const visible =
    (GENERATED_KINDS.includes(media.kind) && actor !== null && media.ownerId === actor.userId) ||
    media.kind === 'avatar' ||
    (media.kind === 'bug_screenshot' && isAdmin) ||
    ((media.kind === 'qualification_document' || media.kind === 'application_document') &&
      (isAdmin || (actor !== null && media.ownerId === actor.userId)));
  if (!visible) throw fileNotFound();
  const url = await ctx.storage.signedUrl(media.storageKey, MAX_SIGNED_URL_SECONDS);
  if (url) return { kind: 'redirect', url };
  const object = await ctx.storage.open(media.storageKey);
  return { kind: 'stream', stream: object.stream, contentType: media.contentType, size: object.size, public: media.kind === 'avatar' };
}
