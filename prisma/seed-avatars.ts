// Demo avatars: a generated PNG (a colour of its own, a lighter disc) for each demo doctor without one, stored like any upload.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32, deflateSync } from 'node:zlib';
import type { Db } from '../src/lib/db.ts';
import type { Storage } from '../src/lib/storage.ts';

const SIZE = 96;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A SIZE×SIZE RGB PNG: a background colour derived from `seed` and a lighter disc in the middle. */
export function avatarPng(seed: string): Buffer {
  const [r, g, b] = createHash('sha256').update(seed).digest().subarray(0, 3).map((byte) => 64 + (byte % 128));
  const rows: Buffer[] = [];
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 3); // filter byte 0, then RGB
    for (let x = 0; x < SIZE; x++) {
      const inside = (x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2 < (SIZE / 3) ** 2;
      const lift = inside ? 60 : 0;
      row.writeUInt8(Math.min(255, r! + lift), 1 + x * 3);
      row.writeUInt8(Math.min(255, g! + lift), 2 + x * 3);
      row.writeUInt8(Math.min(255, b! + lift), 3 + x * 3);
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Gives every visible doctor without an avatar a generated one; returns how many it made. */
export async function seedDemoAvatars(db: Db, storage: Storage): Promise<number> {
  const doctors = await db.doctor.findMany({ where: { avatarId: null, deletedAt: null }, select: { id: true, userId: true, user: { select: { email: true } } } });
  for (const doctor of doctors) {
    const png = avatarPng(doctor.user.email);
    const key = `avatar/${randomUUID()}.png`;
    await storage.put(key, Readable.from([png]), 'image/png');
    await db.$transaction(async (tx) => {
      const media = await tx.mediaFile.create({
        data: { ownerId: doctor.userId, kind: 'avatar', storage: storage.driver, storageKey: key, contentType: 'image/png', sizeBytes: png.length, originalName: 'avatar.png' },
        select: { id: true },
      });
      await tx.doctor.update({ where: { id: doctor.id }, data: { avatarId: media.id } });
    });
  }
  return doctors.length;
}
