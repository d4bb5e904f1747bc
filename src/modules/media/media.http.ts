// Reading an uploaded file out of a multipart request, for the routes of any module that takes one.
import type { FastifyRequest } from 'fastify';
import { UnsupportedMediaTypeError, ValidationError } from '../../lib/errors.ts';
import type { IncomingFile } from './media.service.ts';

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
