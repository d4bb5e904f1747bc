// A catalogue: a small table of named entries with unique names and slugs (specializations,
// designations, the clinic's services), read by anyone and written by admins. The rules (slugs
// derived from the name, clashes named) and the SQL are written once here; each module owns its
// table and hands its name in. plugins/catalogue.ts puts routes and schemas on top.
import { Prisma } from '../generated/prisma/client.ts';
import type { TxContext } from './context.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { uuidv7 } from './ids.ts';
import { slugify } from './slugs.ts';

export interface CatalogueEntry {
  id: string;
  name: string;
  slug: string;
  /** Only in catalogues that have descriptions. */
  description?: string;
}

export interface CatalogueSpec {
  /** The module's own table: `id, name, slug, [description,] created_at, updated_at`. */
  table: 'specializations' | 'designations' | 'services';
  /** What one entry is called in messages: `specialization`. */
  singular: string;
  hasDescription: boolean;
}

export interface CatalogueCreateInput {
  name: string;
  slug?: string | undefined;
  description?: string | undefined;
}
export type CatalogueReplaceInput = CatalogueCreateInput & { id: string };
export interface CatalogueUpdateInput {
  id: string;
  name?: string | undefined;
  slug?: string | undefined;
  description?: string | undefined;
}

/**
 * What a catalogue's service needs: a client (the pool or a transaction), the clock, and the read
 * cache (lib/cache.ts), where each catalogue's list is cached under its table's name as reference.
 */
export type CatalogueContext = Pick<TxContext, 'db' | 'clock' | 'cache'>;

export interface CatalogueService {
  list(ctx: CatalogueContext): Promise<CatalogueEntry[]>;
  get(ctx: CatalogueContext, input: { id: string }): Promise<CatalogueEntry>;
  create(ctx: CatalogueContext, input: CatalogueCreateInput): Promise<CatalogueEntry>;
  /** PUT: the slug is derived from the name when none is sent; an omitted description becomes empty. */
  replace(ctx: CatalogueContext, input: CatalogueReplaceInput): Promise<CatalogueEntry>;
  /** PATCH: only the fields sent change; the slug stays unless one is sent. */
  update(ctx: CatalogueContext, input: CatalogueUpdateInput): Promise<CatalogueEntry>;
  remove(ctx: CatalogueContext, input: { id: string }): Promise<void>;
}

/** The slug to store: the one sent, or one made from the name (400 when the name has no letters or digits). */
function slugOf(input: { name: string; slug?: string | undefined }): string {
  if (input.slug !== undefined) return input.slug;
  const slug = slugify(input.name);
  if (!slug) throw new ValidationError({ errors: [{ path: 'slug', message: 'cannot be derived from the name: send one' }] });
  return slug;
}

export function catalogueService(spec: CatalogueSpec): CatalogueService {
  const table = Prisma.raw(spec.table);
  const columns = Prisma.raw(spec.hasDescription ? 'id::text AS id, name, slug, description' : 'id::text AS id, name, slug');

  async function find(ctx: CatalogueContext, id: string): Promise<CatalogueEntry | undefined> {
    const rows = await ctx.db.$queryRaw<CatalogueEntry[]>`SELECT ${columns} FROM ${table} WHERE id = ${id}::uuid`;
    return rows[0];
  }

  /** Names and slugs are unique: say which one clashes (the unique constraints stay the backstop: 409 too). */
  async function assertUnique(ctx: CatalogueContext, values: { name?: string | undefined; slug?: string | undefined }, exceptId: string | null) {
    const rows = await ctx.db.$queryRaw<{ name: string }[]>`
      SELECT name FROM ${table}
       WHERE (name = ${values.name ?? null} OR slug = ${values.slug ?? null}) AND id IS DISTINCT FROM ${exceptId}::uuid
       LIMIT 1`;
    const clash = rows[0];
    if (clash) {
      const field = clash.name === values.name ? 'name' : 'slug';
      throw new ConflictError({ detail: `A ${spec.singular} with this ${field} already exists.` });
    }
  }

  async function write(ctx: CatalogueContext, id: string, values: { name?: string | undefined; slug?: string | undefined; description?: string | undefined }) {
    await assertUnique(ctx, values, id);
    const description = spec.hasDescription ? Prisma.sql`, description = COALESCE(${values.description ?? null}, description)` : Prisma.empty;
    const rows = await ctx.db.$queryRaw<CatalogueEntry[]>`
      UPDATE ${table}
         SET name = COALESCE(${values.name ?? null}, name), slug = COALESCE(${values.slug ?? null}, slug)${description},
             updated_at = ${ctx.clock.now()}
       WHERE id = ${id}::uuid
      RETURNING ${columns}`;
    if (!rows[0]) throw new NotFoundError();
    await changed(ctx);
    return rows[0];
  }

  /** A write changed the catalogue: its cached list, and answers that show its names (doctors), are stale. */
  const changed = (ctx: CatalogueContext) => ctx.cache.invalidate([spec.table]);

  return {
    list: (ctx) => ctx.cache.read({ key: `catalogue:${spec.table}`, refs: [spec.table] }, () => ctx.db.$queryRaw<CatalogueEntry[]>`SELECT ${columns} FROM ${table} ORDER BY name`),

    async get(ctx, { id }) {
      const entry = await find(ctx, id);
      if (!entry) throw new NotFoundError();
      return entry;
    },

    async create(ctx, input) {
      const slug = slugOf(input);
      await assertUnique(ctx, { name: input.name, slug }, null);
      const now = ctx.clock.now();
      const values = spec.hasDescription
        ? Prisma.sql`(id, name, slug, description, created_at, updated_at) VALUES (${uuidv7(now.getTime())}::uuid, ${input.name}, ${slug}, ${input.description ?? ''}, ${now}, ${now})`
        : Prisma.sql`(id, name, slug, created_at, updated_at) VALUES (${uuidv7(now.getTime())}::uuid, ${input.name}, ${slug}, ${now}, ${now})`;
      const rows = await ctx.db.$queryRaw<CatalogueEntry[]>`INSERT INTO ${table} ${values} RETURNING ${columns}`;
      await changed(ctx);
      return rows[0]!;
    },

    async replace(ctx, input) {
      if (!(await find(ctx, input.id))) throw new NotFoundError();
      return write(ctx, input.id, { name: input.name, slug: slugOf(input), description: input.description ?? '' });
    },

    async update(ctx, input) {
      if (!(await find(ctx, input.id))) throw new NotFoundError();
      return write(ctx, input.id, input);
    },

    async remove(ctx, { id }) {
      const deleted = await ctx.db.$executeRaw`DELETE FROM ${table} WHERE id = ${id}::uuid`;
      if (deleted === 0) throw new NotFoundError();
      await changed(ctx);
    },
  };
}
