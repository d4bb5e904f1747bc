// receiveUpload's image checks: the pixel size read from the header (PNG, WebP, a JPEG behind
// large metadata segments), images over MAX_IMAGE_PIXELS and unreadable headers refused with 415.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UnsupportedMediaTypeError } from '../../src/lib/errors.ts';
import { MAX_IMAGE_PIXELS, receiveUpload, type UploadLimits } from '../../src/lib/uploads.ts';
import { JPEG, PDF, PNG } from '../helpers/upload-fixtures.ts';

const IMAGES: UploadLimits = { maxBytes: 2 * 1024 * 1024, allowed: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'] };

/** The 1x1 PNG with its header (IHDR) declaring `width` x `height`, padded to `totalBytes`. */
function pngDeclaring(width: number, height: number, totalBytes = PNG.length): Buffer {
  const bytes = Buffer.concat([PNG, Buffer.alloc(Math.max(0, totalBytes - PNG.length))]);
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  return bytes;
}

/** The 1x1 JPEG with `segments` APP1 segments of 64 KiB in front of its frame header. */
function jpegBehindMetadata(segments: number): Buffer {
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, 0xff, 0xff]), Buffer.alloc(0xffff - 2, 0x41)]);
  return Buffer.concat([JPEG.subarray(0, 2), ...Array<Buffer>(segments).fill(app1), JPEG.subarray(2)]);
}

/** A stream of `bytes` in pieces of `chunkSize`, as a multipart file arrives. */
function chunked(bytes: Buffer, chunkSize = 16 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
}

async function received(bytes: Buffer, limits = IMAGES): Promise<{ contentType: string; bytes: Buffer }> {
  const upload = await receiveUpload(chunked(bytes), limits);
  const parts: Buffer[] = [];
  for await (const chunk of upload.stream) parts.push(chunk as Buffer);
  return { contentType: upload.contentType, bytes: Buffer.concat(parts) };
}

describe('image dimensions', () => {
  it('refuses a 370-byte PNG declaring 100000 x 100000 pixels with 415', async () => {
    const bomb = pngDeclaring(100_000, 100_000, 370);
    expect(bomb).toHaveLength(370);
    const refusal = received(bomb);
    await expect(refusal).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
    await expect(refusal).rejects.toMatchObject({ status: 415, message: 'The image has more than 40 million pixels.' });
  });

  it('takes an image of exactly 40 megapixels and refuses one pixel row more', async () => {
    expect(MAX_IMAGE_PIXELS).toBe(40_000_000);
    expect((await received(pngDeclaring(8000, 5000))).contentType).toBe('image/png');
    await expect(received(pngDeclaring(8000, 5001))).rejects.toMatchObject({ status: 415 });
  });

  it('reads a JPEG whose frame header sits behind 192 KiB of metadata, and hands every byte on', async () => {
    const photo = jpegBehindMetadata(3);
    expect(photo.indexOf(Buffer.from([0xff, 0xc0]))).toBeGreaterThan(192 * 1024);
    const upload = await received(photo);
    expect(upload.contentType).toBe('image/jpeg');
    expect(upload.bytes.equals(photo)).toBe(true);
  });

  it('refuses a JPEG whose frame header is huge too', async () => {
    const frame = JPEG.indexOf(Buffer.from([0xff, 0xc0]));
    const huge = Buffer.from(JPEG);
    huge.writeUInt16BE(65_535, frame + 5);
    huge.writeUInt16BE(65_535, frame + 7);
    await expect(received(huge)).rejects.toMatchObject({ status: 415, message: 'The image has more than 40 million pixels.' });
  });

  it('refuses an image whose size cannot be read: a JPEG without a frame, a PNG cut inside its header', async () => {
    const noFrame = Buffer.concat([JPEG.subarray(0, 20), Buffer.from([0xff, 0xd9])]);
    await expect(received(noFrame)).rejects.toMatchObject({ status: 415, message: "The JPEG image's width and height cannot be read." });
    await expect(received(PNG.subarray(0, 20))).rejects.toMatchObject({ status: 415 });
  });

  it('leaves PDFs alone', async () => {
    expect((await received(PDF)).contentType).toBe('application/pdf');
  });
});
