// Small zod pieces shared by every module: ids, emails, messages.
import { z } from 'zod';
import { emailString } from '../lib/strings.ts';

export const uuidSchema = z.uuid();

/** Emails are matched case-insensitively and stored lower-cased; OpenAPI shows `format: email`. */
export const emailSchema = emailString();

export const detailSchema = z.object({ detail: z.string() }).meta({ id: 'Detail' });

export const idParamsSchema = z.object({ id: z.uuid() });
