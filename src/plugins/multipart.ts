// Multipart uploads (@fastify/multipart) for the modules that take files: registered inside a
// module's routes plugin so only its routes parse multipart. One file per request; each route's
// own cap (lib/uploads.ts) answers 413 first, the parser's limits are only a backstop. Also the
// helpers routes use to read the file and the text fields of such a request.
import fastifyMultipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import { UnsupportedMediaTypeError, ValidationError } from '../lib/errors.ts';
import type { IncomingFile } from '../lib/uploads.ts';

/** The largest upload any route takes (documents: 5 MiB); per-route caps are smaller or equal. */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

/** The request's one file, sent in `field`: 415 for a body that is not multipart, 400 when the file is missing. */
export async function filePart(request: FastifyRequest, field: string): Promise<IncomingFile> {
  if (!request.isMultipart()) {
    throw new UnsupportedMediaTypeError({ detail: `Send multipart/form-data with the file in the field \`${field}\`.` });
  }
  const part = await request.file();
  if (!part) throw new ValidationError({ errors: [{ path: field, message: 'is required' }] });
  if (part.fieldname !== field) {
    part.file.resume();
    throw new ValidationError({ errors: [{ path: field, message: `is required (the file was sent as \`${part.fieldname}\`)` }] });
  }
  return { stream: part.file, filename: part.filename };
}

/** What a JSON-or-multipart route received: the text fields (or the JSON body) and the file, when one was sent. */
export interface FormInput {
  fields: Record<string, unknown>;
  file: IncomingFile | undefined;
}

/**
 * Reads a route that takes JSON or multipart. For multipart, text fields are collected until the
 * file part in `fileField` arrives, which is handed over still streaming (so text fields must come
 * before the file). A file in another field is 400.
 */
export async function formInput(request: FastifyRequest, fileField: string): Promise<FormInput> {
  if (!request.isMultipart()) {
    const body: unknown = request.body;
    return { fields: typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}, file: undefined };
  }
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const parts = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    const next = await parts.next();
    if (next.done) return { fields: { ...fields }, file: undefined };
    const part = next.value;
    if (part.type === 'file') {
      if (part.fieldname !== fileField) {
        part.file.resume();
        throw new ValidationError({ errors: [{ path: part.fieldname, message: `files go in the field \`${fileField}\`` }] });
      }
      return { fields: { ...fields }, file: { stream: part.file, filename: part.filename } };
    }
    fields[part.fieldname] = part.value;
  }
}

/** Validates form fields or a JSON body against a zod schema: 400 naming the fields, and the unread file is drained. */
export function parseForm<Schema extends z.ZodType>(schema: Schema, form: FormInput): z.output<Schema> {
  const result = schema.safeParse(form.fields);
  if (result.success) return result.data;
  form.file?.stream.resume();
  throw new ValidationError({
    errors: result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ path: [...issue.path, key].join('.'), message: 'Unknown or read-only field.' }))
        : [{ path: issue.path.join('.'), message: issue.message }],
    ),
  });
}

export default fp(
  async (app) => {
    await app.register(fastifyMultipart, {
      limits: {
        fileSize: MAX_UPLOAD_BYTES + 1,
        files: 1,
        fields: 20,
        fieldSize: 64 * 1024,
        parts: 21,
        headerPairs: 50,
      },
    });
  },
  { name: 'multipart', dependencies: ['errors'] },
);
