// The errors the operations module answers with.
import { ConflictError, NotFoundError, UnprocessableError } from '../../lib/errors.ts';

export const applicationPending = () => new ConflictError({ detail: 'You already have an application waiting for review.' });
export const applicationNotFound = () => new NotFoundError();
export const alreadyDecided = () => new UnprocessableError({ code: 'invalid_transition', detail: 'The application has already been decided.' });
