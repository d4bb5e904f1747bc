// Reading an uploaded file out of a multipart request, for the routes of any module that takes one.
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Actor } from '../../lib/context.ts';
import { UnsupportedMediaTypeError, ValidationError } from '../../lib/errors.ts';
import { actorOf } from '../../plugins/auth.ts';
import type { IncomingFile } from './media.service.ts';
import { withStorage, type MediaContext } from './media.storage.ts';

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

/**
 * Options and handler of the `PUT .../me/avatar` route of a profile owned by `role` (patients and
 * doctors): one image in the multipart field `file`, handed to the module's `setAvatar` service,
 * which answers the updated profile.
 * `const avatar = avatarRoute({ ... }); app.put('/profile/me/avatar', avatar.options, avatar.handler);`
 */
export function avatarRoute<Response extends z.ZodType>(spec: {
  role: 'patient' | 'doctor';
  operationId: string;
  tags: string[];
  response: Response;
  setAvatar: (ctx: MediaContext, file: IncomingFile, actor: Actor) => Promise<z.output<Response>>;
}) {
  return {
    options: {
      config: { auth: [spec.role], problems: [404, 413, 415] },
      schema: {
        operationId: spec.operationId,
        tags: spec.tags,
        summary: 'Upload your avatar',
        description: 'multipart/form-data with one file in the field `file`: JPEG, PNG or WebP (checked by content), at most 2 MiB. Answers the updated profile.',
        consumes: ['multipart/form-data'],
        response: { 200: spec.response },
      },
    },
    handler: async (request: FastifyRequest) => spec.setAvatar(withStorage(request.ctx), await filePart(request, 'file'), actorOf(request)),
  };
}
