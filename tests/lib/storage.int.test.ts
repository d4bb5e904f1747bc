// Integration tests of file storage and uploads: the local driver in a temporary directory and the S3 driver against a real s3rver on loopback.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import {
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from '../../src/lib/errors.ts';
import {
  createLocalStorage,
  createS3Storage,
  createStorage,
  InvalidStorageKeyError,
  type Storage,
} from '../../src/lib/storage.ts';
import { receiveUpload, storeUpload, type UploadLimits } from '../../src/lib/uploads.ts';
import { S3RVER_CREDENTIALS, startS3rver, type TestS3 } from '../helpers/s3.ts';
import { JPEG, PDF, PNG, TEXT } from '../helpers/upload-fixtures.ts';

const BUCKET = 'test-bucket';

// --- Minimal real files, as file-type sees them (PNG, JPEG, PDF, text: tests/helpers/upload-fixtures.ts) ---

/** RIFF container of a lossless 1x1 WebP (its header only: enough for sniffing and for its size). */
const WEBP = Buffer.concat([
  Buffer.from('RIFF', 'latin1'),
  Buffer.from([0x1a, 0x00, 0x00, 0x00]),
  Buffer.from('WEBPVP8L', 'latin1'),
  Buffer.from([0x0d, 0x00, 0x00, 0x00, 0x2f, 0x00, 0x00, 0x00, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xfe, 0x07, 0x00]),
]);
/** HTML saved as `.png` by an attacker: the name says image, the bytes do not. */
const HTML = Buffer.from('<!doctype html><script>alert(1)</script>');

const DOCUMENT: UploadLimits = { maxBytes: 5 * 1024 * 1024, allowed: ['application/pdf', 'image/jpeg', 'image/png'] };
const AVATAR: UploadLimits = { maxBytes: 2 * 1024 * 1024, allowed: ['image/jpeg', 'image/png', 'image/webp'] };

/** A stream of `bytes` split into `chunkSize` pieces, so limits are hit mid-stream. */
function chunked(bytes: Buffer, chunkSize = 16 * 1024): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) chunks.push(bytes.subarray(offset, offset + chunkSize));
  return Readable.from(chunks);
}

/** `prefix` followed by `totalBytes` in all, produced lazily; `pulled()` says how much was read. */
function lazyFile(prefix: Buffer, totalBytes: number, chunkSize = 64 * 1024): { stream: Readable; pulled: () => number } {
  let produced = 0;
  async function* generate(): AsyncGenerator<Buffer> {
    yield prefix;
    produced = prefix.length;
    while (produced < totalBytes) {
      const size = Math.min(chunkSize, totalBytes - produced);
      produced += size;
      yield Buffer.alloc(size, 0x20);
    }
  }
  return { stream: Readable.from(generate()), pulled: () => produced };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** Every file below `dir`, relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/**
 * A recording proxy in front of s3rver: what the S3 driver asked for, and the multipart uploads
 * it left open. s3rver implements neither AbortMultipartUpload nor ListMultipartUploads, so the
 * proxy answers the abort itself (204, as S3 does) and keeps the account of open uploads.
 */
interface S3Recorder {
  endpoint: string;
  /** `PUT part 1 5242880`, `POST create`, `POST complete`, `DELETE abort`, `PUT object`. */
  requests: string[];
  openUploads: () => string[];
  close: () => Promise<void>;
}

async function startS3Recorder(upstream: string): Promise<S3Recorder> {
  const requests: string[] = [];
  const open = new Set<string>();
  const target = new URL(upstream);
  const server: HttpServer = createHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    const uploadId = url.searchParams.get('uploadId');
    const partNumber = url.searchParams.get('partNumber');
    const operation =
      request.method === 'POST' && url.searchParams.has('uploads')
        ? 'create'
        : uploadId && partNumber
          ? `part ${partNumber} ${request.headers['content-length']}`
          : uploadId
            ? request.method === 'DELETE' ? 'abort' : 'complete'
            : 'object';
    requests.push(`${request.method} ${operation}`);
    if (operation === 'abort') {
      open.delete(uploadId!);
      response.writeHead(204).end();
      return;
    }
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        const body: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => body.push(chunk));
        answer.on('end', () => {
          const created = /<UploadId>([^<]+)<\/UploadId>/.exec(Buffer.concat(body).toString());
          if (operation === 'create' && created) open.add(created[1]!);
          if (operation === 'complete' && answer.statusCode === 200) open.delete(uploadId!);
        });
        answer.pipe(response);
      },
    );
    forwarded.on('error', (error) => response.destroy(error));
    request.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    openUploads: () => [...open],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// --- The same contract for both drivers ---------------------------------------------------------

interface DriverUnderTest {
  storage: Storage;
  /** Every object the driver holds right now. */
  listKeys: () => Promise<string[]>;
}

function storageContract(name: string, setup: () => DriverUnderTest) {
  describe(`${name} storage: uploads`, () => {
    let storage: Storage;
    let listKeys: () => Promise<string[]>;
    beforeAll(() => {
      ({ storage, listKeys } = setup());
    });

    it.each([
      ['PNG', PNG, 'image/png', 'png'],
      ['JPEG', JPEG, 'image/jpeg', 'jpg'],
      ['PDF', PDF, 'application/pdf', 'pdf'],
    ])('stores a real %s under documents/<uuid>.<ext> and reads back the same bytes', async (_label, bytes, contentType, extension) => {
      const stored = await storeUpload(storage, chunked(bytes, 7), { ...DOCUMENT, kind: 'documents' });

      expect(stored.contentType).toBe(contentType);
      expect(stored.size).toBe(bytes.length);
      expect(stored.key).toMatch(new RegExp(`^documents/[0-9a-f-]{36}\\.${extension}$`));
      const object = await storage.open(stored.key);
      expect(object.contentType).toBe(contentType);
      expect(object.size).toBe(bytes.length);
      expect((await readAll(object.stream)).equals(bytes)).toBe(true);
      await storage.delete(stored.key);
    });

    it('accepts a WebP avatar, and the same bytes as a document are refused (per-route type lists)', async () => {
      const avatar = await storeUpload(storage, chunked(WEBP), { ...AVATAR, kind: 'avatars' });
      expect(avatar.contentType).toBe('image/webp');
      expect(avatar.key).toMatch(/^avatars\/.+\.webp$/);
      await storage.delete(avatar.key);

      await expect(storeUpload(storage, chunked(WEBP), { ...DOCUMENT, kind: 'documents' })).rejects.toBeInstanceOf(
        UnsupportedMediaTypeError,
      );
      expect(await listKeys()).toEqual([]);
    });

    it.each([
      ['a text file', TEXT],
      ['HTML', HTML],
      ['an empty body', Buffer.alloc(0)],
    ])('refuses %s with 415 and leaves no object', async (_label, bytes) => {
      const refusal = storeUpload(storage, chunked(bytes), { ...DOCUMENT, kind: 'documents' });

      await expect(refusal).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
      await expect(refusal).rejects.toMatchObject({ status: 415, message: 'The file must be PDF, JPEG or PNG.' });
      expect(await listKeys()).toEqual([]);
    });

    it('refuses an oversize file with 413 mid-stream and leaves no object', async () => {
      const maxBytes = 256 * 1024;
      const file = lazyFile(PNG, 4 * 1024 * 1024);

      const refusal = storeUpload(storage, file.stream, { ...DOCUMENT, maxBytes, kind: 'documents' });

      await expect(refusal).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(refusal).rejects.toMatchObject({ status: 413 });
      // Stopped soon after the cap, not after reading (or storing) the whole 4 MiB.
      expect(file.pulled()).toBeLessThan(maxBytes + 256 * 1024);
      expect(file.stream.destroyed).toBe(true);
      expect(await listKeys()).toEqual([]);
    });

    it('accepts a file of exactly maxBytes', async () => {
      const file = lazyFile(PDF, 100_000);
      const stored = await storeUpload(storage, file.stream, { ...DOCUMENT, maxBytes: 100_000, kind: 'documents' });
      expect(stored.size).toBe(100_000);
      await storage.delete(stored.key);
    });

    it('delete removes the object (then open is 404) and deleting again succeeds', async () => {
      const stored = await storeUpload(storage, chunked(PNG), { ...AVATAR, kind: 'avatars' });

      await storage.delete(stored.key);

      await expect(storage.open(stored.key)).rejects.toBeInstanceOf(NotFoundError);
      await expect(storage.delete(stored.key)).resolves.toBeUndefined();
      await expect(storage.open(`avatars/${randomUUID()}.png`)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses keys we could never have generated on every method', async () => {
      for (const key of ['../../etc/passwd', '/etc/passwd', 'avatars/../../x.png', 'a//b', '.hidden', 'a\\..\\b', '']) {
        await expect(storage.open(key), key).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.put(key, Readable.from([PNG]), 'image/png'), key).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.delete(key), key).rejects.toBeInstanceOf(InvalidStorageKeyError);
        await expect(storage.signedUrl(key), key).rejects.toBeInstanceOf(InvalidStorageKeyError);
      }
      expect(await listKeys()).toEqual([]);
    });

    it('refuses a signed URL lifetime over 300 s', async () => {
      await expect(storage.signedUrl('avatars/x.png', 301)).rejects.toBeInstanceOf(RangeError);
      await expect(storage.signedUrl('avatars/x.png', 0)).rejects.toBeInstanceOf(RangeError);
    });
  });
}

// --- Local driver -------------------------------------------------------------------------------

describe('local storage', () => {
  let base: string;
  let root: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'clinic-storage-'));
    root = path.join(base, 'media');
    await mkdir(root);
  });
  afterAll(async () => {
    await rm(base, { recursive: true, force: true });
  });

  storageContract('local', () => ({
    storage: createLocalStorage({ root }),
    // Partial files (`*.part`) count too: a refused upload must leave nothing at all.
    listKeys: () => filesUnder(root),
  }));

  it('has no signed URLs: files are streamed by the API', async () => {
    const storage = createLocalStorage({ root });
    expect(storage.driver).toBe('local');
    expect(await storage.signedUrl('avatars/x.png')).toBeNull();
  });

  it('traversal never reaches a file outside the root, however the key is spelled', async () => {
    // A real secret beside the media root, which a traversal would be after.
    await writeFile(path.join(base, 'secret.txt'), 'top secret');
    const storage = createLocalStorage({ root });

    for (const key of ['../secret.txt', 'avatars/../../secret.txt', `${base}/secret.txt`, '..', '%2e%2e/secret.txt']) {
      await expect(storage.open(key), key).rejects.toBeInstanceOf(InvalidStorageKeyError);
    }
    await expect(storage.delete('../secret.txt')).rejects.toBeInstanceOf(InvalidStorageKeyError);
    expect(await readFile(path.join(base, 'secret.txt'), 'utf8')).toBe('top secret');
  });

  it('a directory is not a file: open answers 404', async () => {
    await mkdir(path.join(root, 'folder'), { recursive: true });
    await expect(createLocalStorage({ root }).open('folder')).rejects.toBeInstanceOf(NotFoundError);
  });
});

// --- S3 driver against s3rver -------------------------------------------------------------------

describe('S3 storage (s3rver)', () => {
  let s3: TestS3;
  let endpoint: string;
  let admin: S3Client;

  beforeAll(async () => {
    s3 = await startS3rver(BUCKET);
    endpoint = s3.endpoint;
    admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  });
  afterAll(async () => {
    admin?.destroy();
    await s3?.close();
  });

  const s3Storage = () =>
    createS3Storage({ bucket: BUCKET, endpoint, region: 'us-east-1', forcePathStyle: true, ...S3RVER_CREDENTIALS });

  storageContract('S3', () => ({
    storage: s3Storage(),
    listKeys: async () => {
      const listing = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      return (listing.Contents ?? []).map((object) => object.Key ?? '');
    },
  }));

  it('a presigned URL serves the file with its content type, expires within 300 s, and 404s once deleted', async () => {
    const storage = s3Storage();
    expect(storage.driver).toBe('s3');
    const stored = await storeUpload(storage, chunked(PNG), { ...AVATAR, kind: 'avatars' });

    const url = await storage.signedUrl(stored.key);
    expect(url).not.toBeNull();
    const signed = new URL(url!);
    // s3rver does not verify signatures, so the URL itself is what proves signing and expiry.
    expect(Number(signed.searchParams.get('X-Amz-Expires'))).toBe(300);
    expect(signed.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(signed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    const shorter = new URL((await storage.signedUrl(stored.key, 60))!);
    expect(shorter.searchParams.get('X-Amz-Expires')).toBe('60');

    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);

    await storage.delete(stored.key);
    const gone = await fetch(url!);
    expect(gone.status).toBe(404);
    await gone.body?.cancel();
  });

  describe('multipart puts (through a recording proxy)', () => {
    const MIB = 1024 * 1024;
    let recorder: S3Recorder;
    let storage: Storage;
    beforeAll(async () => {
      recorder = await startS3Recorder(endpoint);
      storage = createS3Storage({ bucket: BUCKET, endpoint: recorder.endpoint, region: 'us-east-1', forcePathStyle: true, ...S3RVER_CREDENTIALS });
    });
    afterAll(async () => {
      await recorder?.close();
    });

    it('a body of exactly one part is one PutObject; one byte more is 5 MiB parts but the last, completed', async () => {
      recorder.requests.length = 0;
      await storage.put('exports/one-part.csv', lazyFile(Buffer.alloc(0), 5 * MIB).stream, 'text/csv');
      expect(recorder.requests).toEqual(['PUT object']);

      recorder.requests.length = 0;
      const size = 10 * MIB + 1;
      await storage.put('exports/three-parts.csv', lazyFile(Buffer.from('a,b\r\n'), size, 100_000).stream, 'text/csv');
      expect(recorder.requests).toEqual(['POST create', `PUT part 1 ${5 * MIB}`, `PUT part 2 ${5 * MIB}`, 'PUT part 3 1', 'POST complete']);
      const object = await storage.open('exports/three-parts.csv');
      expect(object.size).toBe(size);
      expect(object.contentType).toBe('text/csv');
      const stored = await readAll(object.stream);
      expect(stored.subarray(0, 5).toString()).toBe('a,b\r\n');
      expect(stored.subarray(5).every((byte) => byte === 0x20)).toBe(true);
      expect(recorder.openUploads()).toEqual([]);
      await storage.delete('exports/one-part.csv');
      await storage.delete('exports/three-parts.csv');
    });

    it('a source that fails after a part was sent rejects with its error and aborts the multipart upload', async () => {
      recorder.requests.length = 0;
      const failure = new Error('the database went away');
      async function* failing(): AsyncGenerator<Buffer> {
        for (let sent = 0; sent < 6 * MIB; sent += MIB) yield Buffer.alloc(MIB, 0x20);
        throw failure;
      }
      const source = Readable.from(failing());

      await expect(storage.put('exports/failed.csv', source, 'text/csv')).rejects.toBe(failure);

      expect(recorder.requests).toEqual(['POST create', `PUT part 1 ${5 * MIB}`, 'DELETE abort']);
      expect(recorder.openUploads()).toEqual([]);
      expect(source.destroyed).toBe(true);
      const listing = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      expect(listing.Contents ?? []).toEqual([]);
    });
  });

  it('streams a file larger than one part (multipart upload), and a multipart upload over the cap leaves nothing', async () => {
    const storage = s3Storage();
    const size = 6 * 1024 * 1024;
    const stored = await storeUpload(storage, lazyFile(PDF, size).stream, { ...DOCUMENT, maxBytes: 8 * 1024 * 1024, kind: 'documents' });
    expect(stored.size).toBe(size);
    const object = await storage.open(stored.key);
    expect(object.size).toBe(size);
    expect(object.contentType).toBe('application/pdf');
    expect((await text(object.stream)).startsWith('%PDF-1.4')).toBe(true);
    await storage.delete(stored.key);

    // The first 5 MiB part is already uploaded when the cap is crossed: the multipart upload is aborted.
    const oversize = lazyFile(PDF, 12 * 1024 * 1024);
    await expect(
      storeUpload(storage, oversize.stream, { ...DOCUMENT, maxBytes: 5.5 * 1024 * 1024, kind: 'documents' }),
    ).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(oversize.pulled()).toBeLessThan(8 * 1024 * 1024);
    const listing = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(listing.Contents ?? []).toEqual([]);
  });
});

// --- S3 that cannot be reached ------------------------------------------------------------------

describe('S3 storage that cannot be reached', () => {
  let silentServer: Server;
  const sockets = new Set<Socket>();
  let silentEndpoint: string;

  beforeAll(async () => {
    // Accepts connections and never answers: a hung storage service.
    silentServer = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
    silentEndpoint = `http://127.0.0.1:${(silentServer.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silentServer.close(resolve));
  });

  const unreachable = (endpoint: string) =>
    createS3Storage({
      bucket: BUCKET,
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      ...S3RVER_CREDENTIALS,
      maxAttempts: 1,
      connectionTimeoutMs: 500,
      socketTimeoutMs: 500,
    });

  async function expectUnavailable(operation: Promise<unknown>, endpoint: string): Promise<void> {
    const error: unknown = await operation.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    const unavailable = error as ServiceUnavailableError;
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers).toMatchObject({ 'retry-after': expect.any(String) });
    // What a client would read names neither the endpoint nor the code.
    expect(unavailable.message).toBe('File storage is unavailable; try again shortly.');
    expect(unavailable.message).not.toContain(new URL(endpoint).host);
  }

  it.each([
    ['closed port (connection refused)', () => 'http://127.0.0.1:1'],
    ['server that never answers', () => silentEndpoint],
  ])('%s: every operation is a quick 503', async (_label, endpointOf) => {
    const endpoint = endpointOf();
    const storage = unreachable(endpoint);
    const started = Date.now();

    await expectUnavailable(storeUpload(storage, chunked(PNG), { ...AVATAR, kind: 'avatars' }), endpoint);
    await expectUnavailable(storage.put('avatars/x.png', Readable.from([PNG]), 'image/png'), endpoint);
    await expectUnavailable(storage.open('avatars/x.png'), endpoint);
    await expectUnavailable(storage.delete('avatars/x.png'), endpoint);

    expect(Date.now() - started).toBeLessThan(8_000);
    // Signing needs no network: a URL comes back even while the service is down.
    expect(await storage.signedUrl('avatars/x.png')).toContain('X-Amz-Expires=300');
  });
});

// --- Pieces without a driver --------------------------------------------------------------------

describe('receiveUpload', () => {
  it('sniffs the type from the bytes and replays the whole file from its first byte', async () => {
    const upload = await receiveUpload(chunked(PDF, 3), DOCUMENT);
    expect(upload.contentType).toBe('application/pdf');
    expect(upload.extension).toBe('pdf');
    expect((await readAll(upload.stream)).equals(PDF)).toBe(true);
    expect(upload.bytesRead()).toBe(PDF.length);
  });

  it('refuses a wrong type before anything is handed to storage', async () => {
    const calls: string[] = [];
    const spy: Storage = {
      driver: 'local',
      put: async (key) => void calls.push(`put ${key}`),
      open: async () => {
        throw new NotFoundError();
      },
      signedUrl: async () => null,
      delete: async (key) => void calls.push(`delete ${key}`),
    };
    await expect(storeUpload(spy, chunked(TEXT), { ...AVATAR, kind: 'avatars' })).rejects.toBeInstanceOf(
      UnsupportedMediaTypeError,
    );
    // A PDF is a real file, but not an avatar.
    await expect(storeUpload(spy, chunked(PDF), { ...AVATAR, kind: 'avatars' })).rejects.toMatchObject({
      status: 415,
      message: 'The file must be JPEG, PNG or WebP.',
    });
    expect(calls).toEqual([]);
  });

  it('refuses a file whose first bytes already exceed maxBytes with 413', async () => {
    await expect(receiveUpload(chunked(PDF), { ...DOCUMENT, maxBytes: 10 })).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('refuses an invalid kind before reading', async () => {
    await expect(storeUpload(createLocalStorage({ root: tmpdir() }), chunked(PNG), { ...AVATAR, kind: '../x' })).rejects.toBeInstanceOf(
      RangeError,
    );
  });
});

describe('createStorage', () => {
  const base = { SECRET_KEY: 'storage-test-secret-key-0123456789abcdef', DATABASE_URL: 'postgresql://localhost/clinic' };

  it('chooses local disk under MEDIA_ROOT without a bucket, S3 with one', () => {
    expect(createStorage(loadConfig({ ...base, MEDIA_ROOT: '/tmp/media' })).driver).toBe('local');
    expect(createStorage(loadConfig({ ...base, S3_BUCKET: 'clinic-media' })).driver).toBe('s3');
  });
});
