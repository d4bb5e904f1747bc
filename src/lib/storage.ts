// Where uploaded files live: one Storage interface over local disk (MEDIA_ROOT) or S3-compatible storage.
import { randomBytes } from 'node:crypto';
import { mkdir, open as openFile, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config.ts';
import { AppError, NotFoundError, ServiceUnavailableError } from './errors.ts';

export interface StoredObject {
  stream: Readable;
  contentType: string | undefined;
  size: number | undefined;
}

export interface Storage {
  readonly driver: 'local' | 's3';
  /** Streams `body` into `key`; a body that errors (e.g. an upload over its cap) rejects with that error. */
  put(key: string, body: Readable, contentType: string): Promise<void>;
  /** A stream of the object; NotFoundError when there is none. */
  open(key: string): Promise<StoredObject>;
  /** A presigned GET URL valid for `expiresSeconds` (1..300), or null when the driver serves files itself. */
  signedUrl(key: string, expiresSeconds?: number): Promise<string | null>;
  /** Removes the object; removing a missing one succeeds. */
  delete(key: string): Promise<void>;
}

/** Thrown for a key we could never have generated: a bug or a tampered row, never a user error. */
export class InvalidStorageKeyError extends Error {
  override name = 'InvalidStorageKeyError';
}

export const MAX_SIGNED_URL_SECONDS = 300;

// A segment may not start with a dot, which rules out `.`, `..` and hidden files in one go.
const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Keys are `segment/segment...` of safe characters: no empty or dot segments, no absolute paths, no backslashes. */
export function assertValidKey(key: string): void {
  const valid = key.length > 0 && key.length <= 512 && key.split('/').every((segment) => KEY_SEGMENT.test(segment));
  if (!valid) throw new InvalidStorageKeyError(`Invalid storage key: ${JSON.stringify(key.slice(0, 80))}`);
}

function assertExpiry(expiresSeconds: number): void {
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_SIGNED_URL_SECONDS) {
    throw new RangeError(`Signed URL lifetime must be 1..${MAX_SIGNED_URL_SECONDS} seconds, got ${expiresSeconds}`);
  }
}

// Local disk keeps no metadata, but every key we generate ends in the extension of the sniffed type.
const CONTENT_TYPES_BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  pdf: 'application/pdf',
};

function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function createLocalStorage(options: { root: string }): Storage {
  const root = path.resolve(options.root);

  // Defence in depth behind assertValidKey: whatever a key says, the path stays under root.
  function resolve(key: string): string {
    assertValidKey(key);
    const target = path.resolve(root, key);
    const relative = path.relative(root, target);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new InvalidStorageKeyError('Storage key resolves outside the media root');
    }
    return target;
  }

  return {
    driver: 'local',

    async put(key, body) {
      const target = resolve(key);
      await mkdir(path.dirname(target), { recursive: true });
      // Written beside the target and renamed into place, so a failed or refused upload never
      // leaves a partial file under the key.
      const partial = `${target}.${randomBytes(6).toString('hex')}.part`;
      try {
        const handle = await openFile(partial, 'wx');
        await pipeline(body, handle.createWriteStream());
        await rename(partial, target);
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
    },

    async open(key) {
      const target = resolve(key);
      let handle;
      try {
        handle = await openFile(target, 'r');
      } catch (error) {
        if (isMissingFile(error)) throw new NotFoundError();
        throw error;
      }
      // Stat the open handle, not the path: the file read is the file measured.
      const stats = await handle.stat().catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
      if (!stats.isFile()) {
        await handle.close();
        throw new NotFoundError();
      }
      const extension = path.extname(target).slice(1).toLowerCase();
      return {
        stream: handle.createReadStream(),
        contentType: CONTENT_TYPES_BY_EXTENSION[extension],
        size: stats.size,
      };
    },

    async signedUrl(key, expiresSeconds = MAX_SIGNED_URL_SECONDS) {
      resolve(key);
      assertExpiry(expiresSeconds);
      return null;
    },

    async delete(key) {
      const target = resolve(key);
      try {
        await unlink(target);
      } catch (error) {
        if (!isMissingFile(error)) throw error;
      }
    },
  };
}

// S3's smallest multipart part (the last part excepted).
const S3_MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3StorageOptions {
  bucket: string;
  /** For S3-compatible services (R2, MinIO); AWS itself needs none. */
  endpoint?: string | undefined;
  region: string;
  /** Both or neither; without them the SDK's default chain (environment, instance role) applies. */
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** `bucket` in the path instead of the host name: MinIO and most local servers need it. */
  forcePathStyle?: boolean;
  /** How long a connection attempt may take before the storage counts as unavailable. */
  connectionTimeoutMs?: number;
  /** How long a connected socket may stay silent. */
  socketTimeoutMs?: number;
  /** SDK attempts per call, retries included. */
  maxAttempts?: number;
}

// Failures that mean "could not talk to storage": the client may retry later (503).
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ESOCKETTIMEDOUT',
]);
const NETWORK_ERROR_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Maps an SDK failure to what a client should see; the original stays on `cause` for logs only. */
function storageError(error: unknown, notFound = false): unknown {
  if (error instanceof AppError) return error;
  const shape = (error ?? {}) as SdkErrorShape;
  const status = shape.$metadata?.httpStatusCode;
  if (notFound && (shape.name === 'NoSuchKey' || shape.name === 'NotFound' || status === 404)) {
    return new NotFoundError();
  }
  const unreachable =
    (typeof shape.code === 'string' && NETWORK_ERROR_CODES.has(shape.code)) ||
    (typeof shape.name === 'string' && NETWORK_ERROR_NAMES.has(shape.name)) ||
    (status !== undefined && status >= 500);
  if (!unreachable) return error;
  // No endpoint, bucket or stack in the detail: clients learn only that they may retry.
  const unavailable = new ServiceUnavailableError({ detail: 'File storage is unavailable; try again shortly.' });
  unavailable.cause = error;
  return unavailable;
}

/** The AWS SDK, loaded on first use: importing it costs ~0.25 s of every start, and most deployments store files on disk. */
async function loadS3Sdk() {
  const [s3, presigner] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/s3-request-presigner')]);
  return { ...s3, getSignedUrl: presigner.getSignedUrl };
}
type S3Sdk = Awaited<ReturnType<typeof loadS3Sdk>>;

// S3 allows at most this many parts in one multipart upload (48.8 GiB at 5 MiB each).
const S3_MAX_PARTS = 10_000;

/**
 * Streams `body` into one object: a body of one part or less as a single PutObject, a longer one
 * as a multipart upload of S3_MIN_PART_BYTES parts (the last excepted), aborted if anything fails.
 * Every part is cut into the same buffer, and the next is read only once S3 has taken the last:
 * memory per upload stays one part, and no part is left as garbage for a full GC to find (the
 * SDK's lib-storage copies every part, and a million-row export left ~90 MB of them behind).
 */
async function putInParts(
  sdk: S3Sdk,
  client: S3Client,
  object: { Bucket: string; Key: string; ContentType: string },
  body: Readable,
): Promise<void> {
  const { Bucket, Key } = object;
  // Allocated untouched: a small body makes resident only the pages it fills.
  const part = Buffer.allocUnsafeSlow(S3_MIN_PART_BYTES);
  let filled = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];

  const sendPart = async () => {
    uploadId ??= (await client.send(new sdk.CreateMultipartUploadCommand({ ...object, ChecksumAlgorithm: 'CRC32' }))).UploadId;
    if (!uploadId) throw new Error('S3 CreateMultipartUpload returned no upload id');
    if (parts.length === S3_MAX_PARTS) throw new Error(`An object of more than ${S3_MAX_PARTS} parts cannot be stored`);
    const PartNumber = parts.length + 1;
    const sent = await client.send(
      new sdk.UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body: part.subarray(0, filled), ChecksumAlgorithm: 'CRC32' }),
    );
    if (!sent.ETag) throw new Error(`S3 UploadPart returned no ETag for part ${PartNumber}`);
    parts.push({ PartNumber, ETag: sent.ETag, ...(sent.ChecksumCRC32 ? { ChecksumCRC32: sent.ChecksumCRC32 } : {}) });
    filled = 0;
  };

  try {
    for await (const received of body as AsyncIterable<Buffer | string>) {
      const chunk = typeof received === 'string' ? Buffer.from(received) : received;
      let offset = 0;
      while (offset < chunk.length) {
        // A full buffer is sent only once more bytes come: a body of exactly one part stays a PutObject.
        if (filled === S3_MIN_PART_BYTES) await sendPart();
        const copied = chunk.copy(part, filled, offset);
        filled += copied;
        offset += copied;
      }
    }
    if (uploadId === undefined) {
      await client.send(new sdk.PutObjectCommand({ ...object, Body: part.subarray(0, filled) }));
      return;
    }
    if (filled > 0) await sendPart();
    await client.send(
      new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
    );
  } catch (error) {
    // Parts of an upload never completed nor aborted are kept (and billed) by S3.
    if (uploadId !== undefined) {
      await client.send(new sdk.AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId })).catch(() => undefined);
    }
    throw error;
  }
}

export function createS3Storage(options: S3StorageOptions): Storage {
  const { bucket } = options;
  let connection: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
  // The SDK and the client on first use; a failed import is tried again by the next call.
  const s3 = () =>
    (connection ??= loadS3Sdk()
      .then((sdk) => ({ sdk, client: createClient(sdk) }))
      .catch((error: unknown) => {
        connection = undefined;
        throw error;
      }));
  const createClient = (sdk: S3Sdk) => new sdk.S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
    },
  });

  return {
    driver: 's3',

    async put(key, body, contentType) {
      assertValidKey(key);
      // The body's own failure (413 past the cap, a client that went away) is the one to report,
      // not what it caused further on. Listened to before anything is awaited, so an early failure
      // is never unhandled.
      let bodyError: unknown;
      body.once('error', (error) => (bodyError = error));
      try {
        const { sdk, client } = await s3();
        await putInParts(sdk, client, { Bucket: bucket, Key: key, ContentType: contentType }, body);
      } catch (error) {
        body.destroy();
        throw storageError(bodyError ?? error);
      }
    },

    async open(key) {
      assertValidKey(key);
      try {
        const { sdk, client } = await s3();
        const result = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!(result.Body instanceof Readable)) throw new Error('S3 GetObject returned no stream body');
        return { stream: result.Body, contentType: result.ContentType, size: result.ContentLength };
      } catch (error) {
        throw storageError(error, true);
      }
    },

    async signedUrl(key, expiresSeconds = MAX_SIGNED_URL_SECONDS) {
      assertValidKey(key);
      assertExpiry(expiresSeconds);
      try {
        const { sdk, client } = await s3();
        return await sdk.getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expiresSeconds });
      } catch (error) {
        throw storageError(error);
      }
    },

    async delete(key) {
      assertValidKey(key);
      try {
        const { sdk, client } = await s3();
        await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        // S3 answers 204 for a missing key; some compatible servers answer 404 instead.
        const mapped = storageError(error, true);
        if (mapped instanceof NotFoundError) return;
        throw mapped;
      }
    },
  };
}

/** S3 when a bucket is configured, local disk under MEDIA_ROOT otherwise. */
export function createStorage(config: Pick<Config, 'mediaRoot' | 's3'>): Storage {
  const { s3 } = config;
  if (s3.bucket) {
    return createS3Storage({
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      // A custom endpoint is almost always MinIO or another server addressed by path; AWS
      // and R2 accept path style too.
      forcePathStyle: s3.endpoint !== undefined,
    });
  }
  return createLocalStorage({ root: config.mediaRoot });
}
