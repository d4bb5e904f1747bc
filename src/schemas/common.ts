// Small zod pieces shared by every module: ids, emails, messages.
import { z } from 'zod';

export const uuidSchema = z.uuid();

/** Emails are matched case-insensitively and stored lower-cased. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((email) => email.toLowerCase());

export const detailSchema = z.object({ detail: z.string() }).meta({ id: 'Detail' });

export const idParamsSchema = z.object({ id: z.uuid() });
