// The errors the reports module answers with.
import { ForbiddenError, NotFoundError, ValidationError } from '../../lib/errors.ts';

/** Unknown, or not the caller's: a doctor asking for another doctor gets the same answer as for no doctor. */
export const doctorNotFound = () => new NotFoundError({ detail: 'No such doctor.' });
export const exportNotFound = () => new NotFoundError();
export const patientsForAdminsOnly = () => new ForbiddenError({ detail: 'Doctors may export their own appointments only.' });
export const rangeError = (path: string, message: string) => new ValidationError({ detail: `${path} ${message}`, errors: [{ path, message }] });
