// URL slugs of catalogue entries (specializations, designations, services): derived from a name when not sent.
import { z } from 'zod';

export const SLUG_MAX = 120;
const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** `Cardiology & Heart Surgery` → `cardiology-heart-surgery`; accents dropped; '' when nothing is left. */
export function slugify(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
}

/** A slug a client sends: lower-case letters and digits in dash-separated words. */
export const slugSchema = z
  .string()
  .trim()
  .max(SLUG_MAX)
  .regex(SLUG, 'must be lower-case letters and digits separated by single dashes');
