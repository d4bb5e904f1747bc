// The clinic's services catalogue: a public plain array, written by admins; slugs come from the name when not sent.
import type { ServiceContext } from '../../lib/context.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.ts';
import { slugify } from '../../lib/slugs.ts';
import type { ServiceInput, ServiceView } from './portal.schemas.ts';

const serviceSelect = { id: true, name: true, slug: true, description: true } as const;

/** The slug to store: the one sent, or one made from the name (400 when the name has no letters or digits). */
function slugOf(input: ServiceInput): string | undefined {
  if (input.slug !== undefined) return input.slug;
  if (input.name === undefined) return undefined;
  const slug = slugify(input.name);
  if (!slug) throw new ValidationError({ errors: [{ path: 'slug', message: 'cannot be derived from the name: send one' }] });
  return slug;
}

/** Names and slugs are unique: say which one clashes (the unique constraints stay the backstop: P2002 → 409). */
async function assertUnique(ctx: ServiceContext, values: { name?: string | undefined; slug?: string | undefined }, exceptId?: string): Promise<void> {
  const or = [...(values.name === undefined ? [] : [{ name: values.name }]), ...(values.slug === undefined ? [] : [{ slug: values.slug }])];
  if (or.length === 0) return;
  const clash = await ctx.db.service.findFirst({ where: { OR: or, ...(exceptId ? { NOT: { id: exceptId } } : {}) }, select: { name: true } });
  if (clash) throw new ConflictError({ detail: `A service with this ${clash.name === values.name ? 'name' : 'slug'} already exists.` });
}

export async function listServices(ctx: ServiceContext): Promise<ServiceView[]> {
  return ctx.db.service.findMany({ select: serviceSelect, orderBy: [{ name: 'asc' }] });
}

export async function getService(ctx: ServiceContext, id: string): Promise<ServiceView> {
  const row = await ctx.db.service.findUnique({ where: { id }, select: serviceSelect });
  if (!row) throw new NotFoundError();
  return row;
}

export async function createService(ctx: ServiceContext, input: ServiceInput & { name: string }): Promise<ServiceView> {
  const slug = slugOf(input)!;
  await assertUnique(ctx, { name: input.name, slug });
  const now = ctx.clock.now();
  return ctx.db.service.create({ data: { name: input.name, slug, description: input.description ?? '', createdAt: now, updatedAt: now }, select: serviceSelect });
}

/** PUT (`replace`) derives the slug from the name when none is sent and empties an omitted description; PATCH changes only what is sent. */
export async function updateService(ctx: ServiceContext, id: string, input: ServiceInput, replace: boolean): Promise<ServiceView> {
  await getService(ctx, id);
  const slug = replace ? slugOf(input) : input.slug;
  await assertUnique(ctx, { name: input.name, slug }, id);
  const description = replace ? (input.description ?? '') : input.description;
  return ctx.db.service.update({
    where: { id },
    data: {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(slug === undefined ? {} : { slug }),
      ...(description === undefined ? {} : { description }),
      updatedAt: ctx.clock.now(),
    },
    select: serviceSelect,
  });
}

export async function deleteService(ctx: ServiceContext, id: string): Promise<void> {
  const { count } = await ctx.db.service.deleteMany({ where: { id } });
  if (count === 0) throw new NotFoundError();
}
