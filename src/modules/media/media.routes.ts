// HTTP routes of the media module (`/v1/api/media/{id}`): a stored file, streamed (local disk) or redirected to a short-lived signed URL (S3).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParamsSchema } from '../../schemas/common.ts';
import * as media from './media.service.ts';

const TAGS = ['media'];

const mediaRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/:id',
    {
      // Avatars need no token, documents do: a bearer token, when sent, must be valid and says who is asking.
      config: { auth: 'optional', problems: [404] },
      schema: {
        operationId: 'getMedia',
        tags: TAGS,
        summary: 'Download a media file',
        description:
          'Avatars are public. Qualification and application documents need the owner’s or an admin’s bearer token, bug screenshots an admin’s; to anyone else they answer 404. ' +
          'With local storage the file is streamed; with S3 the answer is 302 to a signed URL valid for at most 5 minutes.',
        params: idParamsSchema,
        response: {
          200: z.any().describe('The file, with its sniffed content type.'),
          302: z.undefined().describe('Redirect to a signed URL valid for at most 5 minutes.'),
        },
      },
    },
    async (request, reply) => {
      const answer = await media.openMedia(request.ctx, request.params, request.actor);
      if (answer.kind === 'redirect') return reply.header('cache-control', 'no-store').redirect(answer.url, 302);
      reply
        .type(answer.contentType)
        .header('cache-control', answer.public ? 'public, max-age=86400, immutable' : 'private, no-store')
        .header('content-disposition', 'inline');
      if (answer.size !== undefined) reply.header('content-length', answer.size);
      return reply.send(answer.stream);
    },
  );
};

export default mediaRoutes;
