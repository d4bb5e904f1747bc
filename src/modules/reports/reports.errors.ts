// The errors the reports module answers with.
import { NotFoundError, ValidationError } from '../../lib/errors.ts';

/** Unknown, or not the caller's: a doctor asking for another doctor gets the same answer as for no doctor. */
export const doctorNotFound = () => new NotFoundError({ detail: 'No such doctor.' });
export const exportNotFound = () => new NotFoundError();
export const patientsForAdminsOnly = () =>
  new ValidationError({ detail: 'Doctors may export appointments only.', errors: [{ path: 'kind', message: 'must be appointments for a doctor' }] });
export const rangeError = (path: string, message: string) => new ValidationError({ detail: `${path} ${message}`, errors: [{ path, message }] });
