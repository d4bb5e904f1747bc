// The errors the doctors module answers with.
import { NotFoundError, UnprocessableError, ValidationError } from '../../lib/errors.ts';

/** No doctor profile the caller may see (or none at all). */
export const noDoctorProfile = () => new NotFoundError();

export const callerHasNoDoctorProfile = () => new NotFoundError({ detail: 'You have no doctor profile.' });

const CATALOGUE_OF_FIELD = { specializationIds: 'specialization', designationIds: 'designation' } as const;

/** 400 naming each id list that holds an unknown catalogue entry. */
export const unknownCatalogueIds = (fields: readonly ('specializationIds' | 'designationIds')[]) =>
  new ValidationError({ errors: fields.map((path) => ({ path, message: `names an unknown ${CATALOGUE_OF_FIELD[path]}` })) });


export const noQualification = () => new NotFoundError();

export const alreadyReviewedQualification = () =>
  new UnprocessableError({ code: 'invalid_transition', detail: 'The qualification has already been reviewed.' });
