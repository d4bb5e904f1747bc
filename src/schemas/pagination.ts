// Paged lists: the `page`/`pageSize` query and the `{count, next, previous, results}` answer.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

export const pageQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
});

export type PageQuery = z.infer<typeof pageQuerySchema>;

export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}

export interface Page<Item> {
  count: number;
  next: string | null;
  previous: string | null;
  results: Item[];
}

/** The absolute URL of the request: on PUBLIC_URL when set, else on the host the request named. */
export function requestUrl(request: FastifyRequest, publicUrl: string | undefined): URL {
  return new URL(request.url, publicUrl ?? `${request.protocol}://${request.host}`);
}

/** Builds the page answer; `url` is the absolute request URL so links keep every query parameter. */
export function toPage<Item>(url: URL, query: PageQuery, count: number, results: Item[]): Page<Item> {
  const link = (page: number) => {
    const target = new URL(url);
    target.searchParams.set('page', String(page));
    target.searchParams.set('pageSize', String(query.pageSize));
    return target.toString();
  };
  const lastPage = Math.max(1, Math.ceil(count / query.pageSize));
  return {
    count,
    next: query.page < lastPage ? link(query.page + 1) : null,
    previous: query.page > 1 ? link(Math.min(query.page - 1, lastPage)) : null,
    results,
  };
}

export function pageWindow(query: PageQuery): { skip: number; take: number } {
  return { skip: (query.page - 1) * query.pageSize, take: query.pageSize };
}
