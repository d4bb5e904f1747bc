// The errors the patients module answers with.
import { NotFoundError, ValidationError } from '../../lib/errors.ts';

/** No patient profile the caller may see (or none at all). */
export const noPatientProfile = () => new NotFoundError();

export const dateOfBirthInFuture = () => new ValidationError({ errors: [{ path: 'dateOfBirth', message: 'must not be in the future' }] });
