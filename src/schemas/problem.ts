// The problem+json error body (RFC 9457) that every error response uses.
import { z } from 'zod';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the problem type: `urn:clinic-api:problem:<code>`.'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable code, e.g. `validation_failed`, `invalid_credentials`.'),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('For `validation_failed`: one entry per offending field.'),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;

export function problemType(code: string): string {
  return `urn:clinic-api:problem:${code}`;
}
