// Media files: storing an upload with its media_files row, replacing avatars, and serving files to those allowed to see them.
import type { Readable } from 'node:stream';
import type { MediaKind } from '../../generated/prisma/enums.ts';
import type { Actor } from '../../lib/context.ts';
import type { DbClient } from '../../lib/db.ts';
import { NotFoundError } from '../../lib/errors.ts';
import { storeUpload, type UploadLimits } from '../../lib/uploads.ts';
import { MAX_SIGNED_URL_SECONDS } from '../../lib/storage.ts';
import { AVATAR_LIMITS, DOCUMENT_LIMITS, type MediaContext } from './media.storage.ts';

/** An uploaded file as a route hands it over: its bytes, still streaming, and the name the client gave. */
export interface IncomingFile {
  stream: Readable;
  filename?: string | undefined;
}

/** Storage key prefixes per kind (lib/uploads.ts puts them under `<prefix>/<uuid>.<ext>`). */
const KEY_PREFIX: Record<MediaKind, string> = {
  avatar: 'avatar',
  qualification_document: 'qualification-document',
  application_document: 'application-document',
  bug_screenshot: 'bug-screenshot',
};

/** A client's file name, kept only for display: no control characters, bounded. */
function cleanName(filename: string | undefined): string | null {
  // eslint-disable-next-line no-control-regex
  const clean = (filename ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean || null;
}

/** Removes objects no row points to any more; best effort (a leftover object is harmless, never served). */
export async function removeObjects(ctx: MediaContext, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((key) => ctx.storage.delete(key).catch(() => undefined)));
}

export interface CommitOutcome<T> {
  result: T;
  /** Storage keys the transaction orphaned (a replaced avatar), deleted once it has committed. */
  obsoleteKeys?: string[];
}

/**
 * Streams `file` into storage (type sniffed, size capped), then in one transaction creates its
 * media_files row and runs `commit`. A refused upload stores nothing; a failed transaction
 * removes the object again, so no object is left without a row and no row without an object.
 */
export async function storeAndCommit<T>(
  ctx: MediaContext,
  file: IncomingFile,
  spec: { kind: MediaKind; ownerId: string | null; limits: UploadLimits },
  commit: (tx: DbClient, media: { id: string }) => Promise<CommitOutcome<T>>,
): Promise<T> {
  const stored = await storeUpload(ctx.storage, file.stream, { kind: KEY_PREFIX[spec.kind], ...spec.limits });
  let outcome: CommitOutcome<T>;
  try {
    outcome = await ctx.db.$transaction(async (tx) => {
      const media = await tx.mediaFile.create({
        data: {
          ownerId: spec.ownerId,
          kind: spec.kind,
          storage: ctx.storage.driver,
          storageKey: stored.key,
          contentType: stored.contentType,
          sizeBytes: stored.size,
          originalName: cleanName(file.filename),
          createdAt: ctx.clock.now(),
        },
        select: { id: true },
      });
      return commit(tx, media);
    });
  } catch (error) {
    await removeObjects(ctx, [stored.key]);
    throw error;
  }
  await removeObjects(ctx, outcome.obsoleteKeys ?? []);
  return outcome.result;
}

/**
 * Creates a row that may carry a document (qualifications, doctor applications: PDF, JPEG or PNG,
 * at most 5 MiB). With one, the file is stored first and `create` runs in the transaction that
 * records it, given its media id; without, `create` runs in a transaction of its own with null.
 */
export async function createWithDocument<T>(
  ctx: MediaContext,
  document: IncomingFile | undefined,
  spec: { kind: 'qualification_document' | 'application_document'; ownerId: string },
  create: (tx: DbClient, documentId: string | null) => Promise<T>,
): Promise<T> {
  if (!document) return ctx.db.$transaction((tx) => create(tx, null));
  return storeAndCommit(ctx, document, { ...spec, limits: DOCUMENT_LIMITS }, async (tx, media) => ({ result: await create(tx, media.id) }));
}

type AvatarOwner = 'patient' | 'doctor';

async function lockProfile(tx: DbClient, owner: AvatarOwner, userId: string): Promise<{ id: string; avatar_id: string | null } | undefined> {
  // Row lock: two avatar uploads of one profile at once must not both keep (or both orphan) the old file.
  const rows =
    owner === 'patient'
      ? await tx.$queryRaw<{ id: string; avatar_id: string | null }[]>`SELECT id, avatar_id FROM patients WHERE user_id = ${userId}::uuid FOR UPDATE`
      : await tx.$queryRaw<{ id: string; avatar_id: string | null }[]>`SELECT id, avatar_id FROM doctors WHERE user_id = ${userId}::uuid FOR UPDATE`;
  return rows[0];
}

/**
 * Sets the caller's avatar (JPEG/PNG/WebP, at most 2 MiB); the previous file's row goes in the
 * same transaction and its object after the commit. 404 when the caller has no such profile.
 */
export async function replaceAvatar(ctx: MediaContext, file: IncomingFile, owner: AvatarOwner, actor: Actor): Promise<void> {
  const exists = owner === 'patient'
    ? await ctx.db.patient.count({ where: { userId: actor.userId } })
    : await ctx.db.doctor.count({ where: { userId: actor.userId } });
  if (!exists) throw new NotFoundError();
  await storeAndCommit(ctx, file, { kind: 'avatar', ownerId: actor.userId, limits: AVATAR_LIMITS }, async (tx, media) => {
    const profile = await lockProfile(tx, owner, actor.userId);
    if (!profile) throw new NotFoundError();
    const now = ctx.clock.now();
    if (owner === 'patient') await tx.patient.update({ where: { id: profile.id }, data: { avatarId: media.id, updatedAt: now } });
    else await tx.doctor.update({ where: { id: profile.id }, data: { avatarId: media.id, updatedAt: now } });
    const old = profile.avatar_id ? await tx.mediaFile.delete({ where: { id: profile.avatar_id }, select: { storageKey: true } }) : null;
    return { result: undefined, obsoleteKeys: old ? [old.storageKey] : [] };
  });
}

export type MediaAnswer =
  | { kind: 'redirect'; url: string }
  | { kind: 'stream'; stream: Readable; contentType: string; size: number | undefined; public: boolean };

/**
 * A media file for the caller: avatars are public; qualification and application documents go to
 * their owner and admins; bug screenshots to admins. Anything else is 404, as is a missing file.
 */
export async function openMedia(ctx: MediaContext, id: string, actor: Actor | null): Promise<MediaAnswer> {
  const media = await ctx.db.mediaFile.findUnique({ where: { id }, select: { kind: true, ownerId: true, storageKey: true, contentType: true } });
  if (!media) throw new NotFoundError();
  const isAdmin = actor?.role === 'admin';
  const visible =
    media.kind === 'avatar' ||
    (media.kind === 'bug_screenshot' && isAdmin) ||
    ((media.kind === 'qualification_document' || media.kind === 'application_document') &&
      (isAdmin || (actor !== null && media.ownerId === actor.userId)));
  if (!visible) throw new NotFoundError();
  const url = await ctx.storage.signedUrl(media.storageKey, MAX_SIGNED_URL_SECONDS);
  if (url) return { kind: 'redirect', url };
  const object = await ctx.storage.open(media.storageKey);
  return { kind: 'stream', stream: object.stream, contentType: media.contentType, size: object.size, public: media.kind === 'avatar' };
}
