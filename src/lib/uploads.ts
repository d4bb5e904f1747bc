// Receiving an uploaded file: its type sniffed from its first bytes, an image's pixel size read
// from its header, its size capped while it streams, stored under a random key.
import { randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';
import { imageSize } from 'image-size';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts';
import type { Storage } from './storage.ts';

export type UploadContentType = 'image/jpeg' | 'image/png' | 'image/webp' | 'application/pdf';

/** An uploaded file as a route hands it to a service: its bytes, still streaming, and the name the client gave. */
export interface IncomingFile {
  stream: Readable;
  filename?: string | undefined;
}

export interface UploadLimits {
  maxBytes: number;
  allowed: readonly UploadContentType[];
}

export interface ReceivedUpload {
  contentType: UploadContentType;
  /** Extension of the sniffed type (`jpg`, `png`, `webp`, `pdf`), for the storage key. */
  extension: string;
  /** The whole file from its first byte; errors with PayloadTooLargeError once past maxBytes. */
  stream: Readable;
  /** Bytes that have flowed through `stream` so far: the file's size once it has ended. */
  bytesRead(): number;
}

export interface StoredUpload {
  key: string;
  contentType: UploadContentType;
  size: number;
}

// file-type's own default sample; enough for every type we accept (all are identified by their
// first dozen bytes), and what its stream helper would read.
const SAMPLE_BYTES = 4100;

/**
 * A few hundred bytes can declare 100000x100000 pixels, which a client (or a thumbnailer) then
 * tries to decode into tens of gigabytes: larger images are refused whatever their file size.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;
/**
 * How far into an image its dimensions are looked for: PNG and WebP hold them in the first 30
 * bytes, a JPEG after its metadata segments (EXIF and ICC profiles, each at most 64 KiB).
 */
const IMAGE_HEADER_MAX_BYTES = 512 * 1024;

const UPLOAD_TYPES: Record<UploadContentType, { extension: string; label: string; image: boolean }> = {
  'image/jpeg': { extension: 'jpg', label: 'JPEG', image: true },
  'image/png': { extension: 'png', label: 'PNG', image: true },
  'image/webp': { extension: 'webp', label: 'WebP', image: true },
  'application/pdf': { extension: 'pdf', label: 'PDF', image: false },
};

function isUploadContentType(mime: string): mime is UploadContentType {
  return Object.hasOwn(UPLOAD_TYPES, mime);
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError({ detail: `The file is larger than ${maxBytes} bytes.` });
}

/** The allowed types in words, for the 415 detail: `JPEG, PNG or PDF`. */
function describe(allowed: readonly UploadContentType[]): string {
  const names = allowed.map((type) => UPLOAD_TYPES[type].label);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'none');
}

/** Width times height from an image's header, or undefined when `head` does not (yet) hold them. */
function pixelsOf(head: Buffer): number | undefined {
  try {
    const { width, height } = imageSize(head);
    return width !== undefined && height !== undefined ? width * height : undefined;
  } catch {
    return undefined; // truncated or malformed: image-size does not tell the two apart
  }
}

/**
 * Reads the first bytes of `source`, refuses a type outside `allowed` (415) and an image over
 * MAX_IMAGE_PIXELS or whose size cannot be read (415) before anything is written, and hands back
 * a stream of the whole file that fails with 413 as soon as it passes `maxBytes`. Nothing but the
 * sample (for a JPEG, up to its size marker) is held in memory.
 */
export async function receiveUpload(source: Readable, limits: UploadLimits): Promise<ReceivedUpload> {
  if (!Number.isSafeInteger(limits.maxBytes) || limits.maxBytes < 1) {
    throw new RangeError(`maxBytes must be a positive integer, got ${limits.maxBytes}`);
  }
  // One iterator for the sample and the rest, so no byte is read twice or lost in between.
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const sample: Buffer[] = [];
  let sampled = 0;
  let ended = false;
  /** Reads on until `bytes` are held or the file has ended; 413 past maxBytes. */
  async function readUpTo(bytes: number): Promise<Buffer> {
    while (sampled < bytes && !ended) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      sample.push(chunk);
      sampled += chunk.length;
      if (sampled > limits.maxBytes) throw tooLarge(limits.maxBytes);
    }
    return Buffer.concat(sample);
  }
  /** An image's pixel count, reading further into the file (doubling) until its header is whole. */
  async function pixelsReadingOn(first: Buffer): Promise<number | undefined> {
    let head = first;
    for (;;) {
      const pixels = pixelsOf(head);
      if (pixels !== undefined || ended || sampled >= IMAGE_HEADER_MAX_BYTES) return pixels;
      head = await readUpTo(Math.min(sampled * 2, IMAGE_HEADER_MAX_BYTES));
    }
  }
  const unsupported = (detail: string) => new UnsupportedMediaTypeError({ detail });

  let head: Buffer;
  let contentType: UploadContentType | undefined;
  try {
    head = await readUpTo(SAMPLE_BYTES);
    const detected = head.length > 0 ? await fileTypeFromBuffer(head) : undefined;
    contentType = detected && isUploadContentType(detected.mime) ? detected.mime : undefined;
    if (!contentType || !limits.allowed.includes(contentType)) throw unsupported(`The file must be ${describe(limits.allowed)}.`);
    if (UPLOAD_TYPES[contentType].image) {
      const pixels = await pixelsReadingOn(head);
      if (pixels === undefined) throw unsupported(`The ${UPLOAD_TYPES[contentType].label} image's width and height cannot be read.`);
      if (pixels > MAX_IMAGE_PIXELS) throw unsupported(`The image has more than ${MAX_IMAGE_PIXELS / 1_000_000} million pixels.`);
      head = Buffer.concat(sample);
    }
  } catch (error) {
    // Stop reading: the rest of the body is not wanted (the caller decides what to do with the connection).
    await chunks.return?.();
    throw error;
  }

  async function* wholeFile(): AsyncGenerator<Buffer> {
    try {
      yield head;
      if (ended) return;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    } finally {
      // Reached on completion, error or the consumer's destroy: releases (destroys) the source.
      await chunks.return?.();
    }
  }

  let counted = 0;
  const capped = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counted += chunk.length;
      if (counted > limits.maxBytes) callback(tooLarge(limits.maxBytes));
      else callback(null, chunk);
    },
  });
  const body = Readable.from(wholeFile(), { objectMode: false });
  // Not pipeline(): it would settle on its own; errors are forwarded by hand so the consumer of
  // `capped` sees the source's failure too, and destroying `capped` stops the source.
  body.on('error', (error) => capped.destroy(error));
  capped.on('close', () => body.destroy());
  body.pipe(capped);

  return {
    contentType,
    extension: UPLOAD_TYPES[contentType].extension,
    stream: capped,
    bytesRead: () => counted,
  };
}

const KIND = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * receiveUpload, then put under `<kind>/<uuid>.<ext>`. A refused or failed upload leaves no
 * object behind: a partial one is deleted before the error is rethrown.
 */
export async function storeUpload(
  storage: Storage,
  source: Readable,
  options: UploadLimits & { kind: string },
): Promise<StoredUpload> {
  if (!KIND.test(options.kind)) throw new RangeError(`Invalid upload kind: ${options.kind}`);
  const upload = await receiveUpload(source, options);
  const key = `${options.kind}/${randomUUID()}.${upload.extension}`;
  try {
    await storage.put(key, upload.stream, upload.contentType);
  } catch (error) {
    upload.stream.destroy();
    // The failure that matters is the upload's; a cleanup failure must not hide it.
    await storage.delete(key).catch(() => undefined);
    throw error;
  }
  return { key, contentType: upload.contentType, size: upload.bytesRead() };
}
