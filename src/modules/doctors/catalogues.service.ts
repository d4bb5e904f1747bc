// Specializations and designations: public plain arrays, written by admins; slugs come from the name when not sent.
import type { ServiceContext } from '../../lib/context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { slugify } from '../../lib/slugs.ts';
import type { DesignationInput, DesignationView, SpecializationInput, SpecializationView } from './doctors.schemas.ts';

const specializationSelect = { id: true, name: true, slug: true, description: true } as const;
const designationSelect = { id: true, name: true, slug: true } as const;

/** The slug to store: the one sent, or one made from the name (400 when the name has no letters or digits). */
function slugOf(input: { name?: string | undefined; slug?: string | undefined }): string | undefined {
  if (input.slug !== undefined) return input.slug;
  if (input.name === undefined) return undefined;
  const slug = slugify(input.name);
  if (!slug) {
    throw new ValidationError({ errors: [{ path: 'slug', message: 'cannot be derived from the name: send one' }] });
  }
  return slug;
}

/** Names and slugs are unique: say which one clashes instead of a bare 409. */
async function assertUnique(
  find: (where: { OR: ({ name: string } | { slug: string })[]; NOT?: { id: string } }) => Promise<{ name: string; slug: string } | null>,
  values: { name?: string | undefined; slug?: string | undefined },
  exceptId?: string,
): Promise<void> {
  const or = [...(values.name === undefined ? [] : [{ name: values.name }]), ...(values.slug === undefined ? [] : [{ slug: values.slug }])];
  if (or.length === 0) return;
  const clash = await find({ OR: or, ...(exceptId ? { NOT: { id: exceptId } } : {}) });
  if (clash) {
    const field = clash.name === values.name ? 'name' : 'slug';
    throw new ConflictError({ detail: `An entry with this ${field} already exists.` });
  }
}

// --- Specializations ---------------------------------------------------------------------------

export async function listSpecializations(ctx: ServiceContext): Promise<SpecializationView[]> {
  return ctx.db.specialization.findMany({ select: specializationSelect, orderBy: [{ name: 'asc' }] });
}

export async function getSpecialization(ctx: ServiceContext, id: string): Promise<SpecializationView> {
  const row = await ctx.db.specialization.findUnique({ where: { id }, select: specializationSelect });
  if (!row) throw new NotFoundError();
  return row;
}

export async function createSpecialization(ctx: ServiceContext, input: SpecializationInput & { name: string }): Promise<SpecializationView> {
  const slug = slugOf(input)!;
  await assertUnique((where) => ctx.db.specialization.findFirst({ where, select: { name: true, slug: true } }), { name: input.name, slug });
  const now = ctx.clock.now();
  return ctx.db.specialization.create({
    data: { name: input.name, slug, description: input.description ?? '', createdAt: now, updatedAt: now },
    select: specializationSelect,
  });
}

/** PUT (`replace`) derives the slug from the name when none is sent; PATCH keeps the slug unless one is sent. */
export async function updateSpecialization(
  ctx: ServiceContext,
  id: string,
  input: SpecializationInput,
  replace: boolean,
): Promise<SpecializationView> {
  await getSpecialization(ctx, id);
  const slug = replace ? slugOf(input) : input.slug;
  await assertUnique((where) => ctx.db.specialization.findFirst({ where, select: { name: true, slug: true } }), { name: input.name, slug }, id);
  return ctx.db.specialization.update({
    where: { id },
    data: {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(slug === undefined ? {} : { slug }),
      ...(replace ? { description: input.description ?? '' } : input.description === undefined ? {} : { description: input.description }),
      updatedAt: ctx.clock.now(),
    },
    select: specializationSelect,
  });
}

export async function deleteSpecialization(ctx: ServiceContext, id: string): Promise<void> {
  const { count } = await ctx.db.specialization.deleteMany({ where: { id } });
  if (count === 0) throw new NotFoundError();
}

// --- Designations ------------------------------------------------------------------------------

export async function listDesignations(ctx: ServiceContext): Promise<DesignationView[]> {
  return ctx.db.designation.findMany({ select: designationSelect, orderBy: [{ name: 'asc' }] });
}

export async function getDesignation(ctx: ServiceContext, id: string): Promise<DesignationView> {
  const row = await ctx.db.designation.findUnique({ where: { id }, select: designationSelect });
  if (!row) throw new NotFoundError();
  return row;
}

export async function createDesignation(ctx: ServiceContext, input: DesignationInput & { name: string }): Promise<DesignationView> {
  const slug = slugOf(input)!;
  await assertUnique((where) => ctx.db.designation.findFirst({ where, select: { name: true, slug: true } }), { name: input.name, slug });
  const now = ctx.clock.now();
  return ctx.db.designation.create({ data: { name: input.name, slug, createdAt: now, updatedAt: now }, select: designationSelect });
}

export async function updateDesignation(ctx: ServiceContext, id: string, input: DesignationInput, replace: boolean): Promise<DesignationView> {
  await getDesignation(ctx, id);
  const slug = replace ? slugOf(input) : input.slug;
  await assertUnique((where) => ctx.db.designation.findFirst({ where, select: { name: true, slug: true } }), { name: input.name, slug }, id);
  return ctx.db.designation.update({
    where: { id },
    data: {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(slug === undefined ? {} : { slug }),
      updatedAt: ctx.clock.now(),
    },
    select: designationSelect,
  });
}

export async function deleteDesignation(ctx: ServiceContext, id: string): Promise<void> {
  const { count } = await ctx.db.designation.deleteMany({ where: { id } });
  if (count === 0) throw new NotFoundError();
}
