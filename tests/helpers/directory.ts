// Helpers of the directory tests: specializations and designations made in the database (doctor
// profiles come from createDoctor in actors.ts).
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/lib/db.ts';

/** The slug the API derives from a name. */
const slugOf = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export interface CatalogueEntry {
  id: string;
  name: string;
  slug: string;
}

export function createSpecialization(db: Db, name = `Spec ${randomUUID().slice(0, 8)}`): Promise<CatalogueEntry> {
  return db.specialization.create({ data: { name, slug: slugOf(name) }, select: { id: true, name: true, slug: true } });
}

export function createDesignation(db: Db, name = `Desig ${randomUUID().slice(0, 8)}`): Promise<CatalogueEntry> {
  return db.designation.create({ data: { name, slug: slugOf(name) }, select: { id: true, name: true, slug: true } });
}
