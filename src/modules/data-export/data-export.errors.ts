// The errors the data export module answers with.
import { NotFoundError, TooManyRequestsError } from '../../lib/errors.ts';

export const exportNotFound = () => new NotFoundError();

/** One export a day is a product rule, not a rate limit: it holds with RATE_LIMIT_ENABLED=false too. */
export const oneExportPerDay = (retryAfterSeconds: number) =>
  new TooManyRequestsError({ retryAfterSeconds, detail: 'One data export per day: the next one may be requested later.' });
