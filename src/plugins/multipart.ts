// Multipart uploads (@fastify/multipart) for the modules that take files: registered inside a
// module's routes plugin so only its routes parse multipart. One file per request; each route's
// own cap (lib/uploads.ts) answers 413 first, the parser's limits are only a backstop.
import fastifyMultipart from '@fastify/multipart';
import fp from 'fastify-plugin';

/** The largest upload any route takes (documents: 5 MiB); per-route caps are smaller or equal. */
export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;

export default fp(
  async (app) => {
    await app.register(fastifyMultipart, {
      limits: {
        fileSize: MAX_UPLOAD_BYTES + 1,
        files: 1,
        fields: 20,
        fieldSize: 64 * 1024,
        parts: 21,
        headerPairs: 50,
      },
    });
  },
  { name: 'multipart', dependencies: ['errors'] },
);
