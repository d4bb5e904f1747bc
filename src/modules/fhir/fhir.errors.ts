// The errors the FHIR module answers with itself; every answer becomes an OperationOutcome (fhir.routes.ts).
import { ValidationError } from '../../lib/errors.ts';

/** 400 for a search parameter that parses but cannot be answered (bounds in the wrong order, too far apart...). */
export const invalidSearch = (path: string, message: string) => new ValidationError({ detail: message, errors: [{ path, message }] });
