// The caller's own profile of one role (patients, doctors): GET, PUT and PATCH on `.../me` and
// PUT `.../me/avatar` (one image in the multipart field `file`). Each module hands in its path,
// schemas and services: `await app.register(ownProfileRoutes({ ... }))`.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import type { Actor, ServiceContext } from '../lib/context.ts';
import type { IncomingFile } from '../lib/uploads.ts';
import { actorOf } from './auth.ts';
import multipartPlugin, { filePart } from './multipart.ts';

export interface OwnProfileSpec<Profile extends z.ZodType, Put extends z.ZodType, Patch extends z.ZodType> {
  /** The profile's path, e.g. `/profile/me`; the avatar is at `<path>/avatar`. */
  path: string;
  role: 'patient' | 'doctor';
  tag: string;
  /** `Doctor` → getMyDoctorProfile, replaceMyDoctorProfile, updateMyDoctorProfile, replaceMyDoctorAvatar. */
  operationNoun: string;
  schemas: { profile: Profile; put: Put; patch: Patch };
  descriptions: { replace: string; update: string };
  services: {
    get(ctx: ServiceContext, actor: Actor): Promise<z.output<Profile>>;
    replace(ctx: ServiceContext, input: z.output<Put>, actor: Actor): Promise<z.output<Profile>>;
    update(ctx: ServiceContext, input: z.output<Patch>, actor: Actor): Promise<z.output<Profile>>;
    setAvatar(ctx: ServiceContext, input: { file: IncomingFile }, actor: Actor): Promise<z.output<Profile>>;
  };
}

export function ownProfileRoutes<Profile extends z.ZodType, Put extends z.ZodType, Patch extends z.ZodType>(
  spec: OwnProfileSpec<Profile, Put, Patch>,
): FastifyPluginAsyncZod {
  const noun = spec.operationNoun;
  const words = noun.toLowerCase();
  const tags = [spec.tag];
  const auth = [spec.role];
  // Widened here: the spec already ties each service to its schema.
  const profile: z.ZodType = spec.schemas.profile;
  const putBody: z.ZodType = spec.schemas.put;
  const patchBody: z.ZodType = spec.schemas.patch;
  return async (app) => {
    // The module's own routes plugin may have registered multipart already (it is inherited).
    if (!app.hasContentTypeParser('multipart/form-data')) await app.register(multipartPlugin);

    app.get(
      spec.path,
      {
        config: { auth, problems: [404] },
        schema: { operationId: `getMy${noun}Profile`, tags, summary: `Get your ${words} profile`, response: { 200: profile } },
      },
      async (request) => spec.services.get(request.ctx, actorOf(request)),
    );

    app.put(
      spec.path,
      {
        config: { auth, problems: [404] },
        schema: {
          operationId: `replaceMy${noun}Profile`,
          tags,
          summary: `Replace your ${words} profile`,
          description: spec.descriptions.replace,
          body: putBody,
          response: { 200: profile },
        },
      },
      async (request) => spec.services.replace(request.ctx, request.body as z.output<Put>, actorOf(request)),
    );

    app.patch(
      spec.path,
      {
        config: { auth, problems: [404] },
        schema: {
          operationId: `updateMy${noun}Profile`,
          tags,
          summary: `Update your ${words} profile`,
          description: spec.descriptions.update,
          body: patchBody,
          response: { 200: profile },
        },
      },
      async (request) => spec.services.update(request.ctx, request.body as z.output<Patch>, actorOf(request)),
    );

    app.put(
      `${spec.path}/avatar`,
      {
        config: {
          auth,
          problems: [404, 413, 415],
          form: { file: { name: 'file', required: true, description: 'The image: JPEG, PNG or WebP, at most 2 MiB.' } },
        },
        schema: {
          operationId: `replaceMy${noun}Avatar`,
          tags,
          summary: 'Upload your avatar',
          description:
            'multipart/form-data with one file in the field `file`: JPEG, PNG or WebP (checked by content), at most 2 MiB. Answers the updated profile.',
          consumes: ['multipart/form-data'],
          response: { 200: profile },
        },
      },
      async (request) => spec.services.setAvatar(request.ctx, { file: await filePart(request, 'file') }, actorOf(request)),
    );
  };
}
