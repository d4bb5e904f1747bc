// The errors the webhooks module answers with.
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';

export const endpointNotFound = () => new NotFoundError();
export const deliveryNotFound = () => new NotFoundError();
export const endpointInactive = () => new ConflictError({ detail: 'The endpoint is inactive: activate it before redelivering.' });
export const urlRefused = (message: string) => new ValidationError({ detail: `url ${message}`, errors: [{ path: 'url', message }] });
