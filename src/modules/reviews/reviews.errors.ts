// The errors the reviews module answers with.
import { ConflictError, ForbiddenError, NotFoundError } from '../../lib/errors.ts';

export const notAPatientOf = () => new ForbiddenError({ detail: 'You can review a doctor only after a completed appointment with them.' });
export const alreadyReviewed = () => new ConflictError({ detail: 'You have already reviewed this doctor: edit that review instead.' });
export const reviewNotFound = () => new NotFoundError();
