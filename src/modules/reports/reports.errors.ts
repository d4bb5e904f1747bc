// The errors the reports module answers with.
import { ForbiddenError, NotFoundError, UnprocessableError, ValidationError } from '../../lib/errors.ts';

/** Unknown, or not the caller's: a doctor asking for another doctor gets the same answer as for no doctor. */
export const doctorNotFound = () => new NotFoundError({ detail: 'No such doctor.' });
export const exportNotFound = () => new NotFoundError();
export const patientsForAdminsOnly = () => new ForbiddenError({ detail: 'Doctors may export their own appointments only.' });
export const rangeError = (path: string, message: string) => new ValidationError({ detail: `${path} ${message}`, errors: [{ path, message }] });
/** One export per requester is queued or being built at a time. */
export const exportInProgress = () =>
  new UnprocessableError({ code: 'limit_reached', detail: 'You have an export queued or being built; ask again once it is ready or failed.' });
