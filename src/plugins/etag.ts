// Strong ETags on public reads (API.md, "Reports, exports, conditional reads"): a client that
// sends the tag back in If-None-Match gets 304 without the body. The tag hashes the serialized
// answer, so any write that changes an answer changes its tag, on every instance, with no state.
import { createHash } from 'node:crypto';
import type { onSendAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: a public GET that is not one of API.md's reads (a health probe): no tag to compute. */
    etag?: boolean;
  }
}

/** Tags of answers sent as bytes: a cached answer is the same Buffer at every hit, hashed once. */
const bufferTags = new WeakMap<Buffer, string>();

export function etagOf(body: string | Buffer): string {
  const known = typeof body === 'string' ? undefined : bufferTags.get(body);
  if (known) return known;
  const tag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  if (typeof body !== 'string') bufferTags.set(body, tag);
  return tag;
}

/** If-None-Match names `etag` (RFC 9110 13.1.2: a list of tags, weak comparison, or `*`). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

const tagAnswer: onSendAsyncHookHandler = async (request, reply, payload) => {
  if (reply.statusCode !== 200 || !(typeof payload === 'string' || Buffer.isBuffer(payload))) return payload;
  const etag = etagOf(payload);
  reply.header('etag', etag);
  if (!ifNoneMatchHits(request.headers['if-none-match'], etag)) return payload;
  reply.code(304);
  return '';
};

/** Tags the 200 answers of every public GET (and its HEAD) but the probes; private answers stay untagged. */
export default fp(
  async (app) => {
    app.addHook('onRoute', (route) => {
      const methods = [route.method].flat();
      if (route.config?.auth !== 'public' || route.config.etag === false || !methods.some((method) => method === 'GET' || method === 'HEAD')) return;
      // First: a HEAD route's own onSend (Fastify's) drops the body the tag is made of.
      route.onSend = [tagAnswer, ...(route.onSend === undefined ? [] : [route.onSend].flat())];
    });
  },
  { name: 'etag' },
);
