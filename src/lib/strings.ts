// The safe-string zod helper every module uses for text input: trimmed, bounded, and free of C0
// control characters (PostgreSQL refuses NUL with a 500-prone data error, and CR/LF in a
// single-line field could reach a mail header). Free text may keep tab and line breaks.
import { z } from 'zod';

// Single-line fields: no C0 controls and no DEL. Free text also allows tab, LF and CR (CRLF is
// what browsers send for a textarea). Matching control characters is the point of these two.
/* eslint-disable no-control-regex */
const SINGLE_LINE = /^[^\u0000-\u001f\u007f]*$/;
const MULTI_LINE = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/;
/* eslint-enable no-control-regex */

export interface SafeStringOptions {
  max: number;
  min?: number;
  /** Free text (messages, bios, comments): tab and line breaks allowed. */
  multiline?: boolean;
  /** Trim surrounding white space (default true; false for passwords). */
  trim?: boolean;
}

export function safeString({ max, min = 0, multiline = false, trim = true }: SafeStringOptions) {
  const base = trim ? z.string().trim() : z.string();
  return base
    .min(min, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .regex(multiline ? MULTI_LINE : SINGLE_LINE, 'must not contain control characters');
}

/** Emails are matched case-insensitively and stored lower-cased. */
export const emailString = () => z.string().trim().toLowerCase().max(254).email();
