// The errors the media module answers with: a file that does not exist or that the caller may not see.
import { NotFoundError } from '../../lib/errors.ts';

export const fileNotFound = () => new NotFoundError({ detail: 'The file does not exist.' });
