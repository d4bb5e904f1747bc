// Rows of media_files: one per stored object, written only by this module.
import type { MediaKind, StorageDriver } from '../../generated/prisma/enums.ts';
import type { DbClient } from '../../lib/db.ts';
import { GENERATED_KINDS } from './media.schemas.ts';

export interface NewMediaRow {
  ownerId: string | null;
  kind: MediaKind;
  storage: StorageDriver;
  storageKey: string;
  contentType: string;
  sizeBytes: number;
  originalName: string | null;
  createdAt: Date;
  expiresAt?: Date | null;
}

export async function insertMedia(db: DbClient, row: NewMediaRow): Promise<string> {
  const media = await db.mediaFile.create({ data: row, select: { id: true } });
  return media.id;
}

export function findMedia(db: DbClient, id: string) {
  return db.mediaFile.findUnique({ where: { id }, select: { kind: true, ownerId: true, storageKey: true, contentType: true, expiresAt: true } });
}

/** Deletes the rows of `ids` and of `ownerId`'s files of `kind`; answers their storage keys. */
export async function deleteMedia(db: DbClient, filter: { ids: readonly string[]; ownerId?: string; kind?: MediaKind }): Promise<string[]> {
  const owned = filter.ownerId !== undefined && filter.kind !== undefined ? [{ ownerId: filter.ownerId, kind: filter.kind }] : [];
  const where = { OR: [{ id: { in: [...filter.ids] } }, ...owned] };
  const rows = await db.mediaFile.findMany({ where, select: { storageKey: true } });
  await db.mediaFile.deleteMany({ where });
  return rows.map((row) => row.storageKey);
}

/** A user's files but the exports made for them, oldest first. */
export function selectFilesOf(db: DbClient, ownerId: string) {
  return db.mediaFile.findMany({
    where: { ownerId, kind: { notIn: [...GENERATED_KINDS] } },
    select: { id: true, kind: true, contentType: true, sizeBytes: true, originalName: true, createdAt: true },
    orderBy: { createdAt: 'asc' },
  });
}
