// HTTP routes of the accounts module (`/v1/api/user/...`): validation, rate limits, status codes.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { detailSchema, idParamsSchema } from '../../schemas/common.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './accounts.schemas.ts';
import * as accounts from './accounts.service.ts';
import * as sessions from './sessions.service.ts';

const TAGS = ['accounts'];
const SENT_DETAIL = 'If the account exists and may receive a code, it has been emailed.';

const emailOf = (request: FastifyRequest) => (request.body as { email?: string } | undefined)?.email;

const accountsRoutes: FastifyPluginAsyncZod = async (app) => {
  /** Per-IP and per-email limits for a route that takes a secret or sends mail. */
  const limits = (name: string, max: number) => [
    app.limit({ name: `${name}:ip`, max, key: 'ip' }),
    app.limit({ name: `${name}:email`, max, key: emailOf }),
  ];
  const SECRET_LIMIT = 10;
  const MAIL_LIMIT = 5;

  app.post(
    '/register',
    {
      config: { auth: 'public' },
      preHandler: limits('register', MAIL_LIMIT),
      schema: {
        operationId: 'register',
        tags: TAGS,
        summary: 'Register a patient account',
        description:
          'Creates an inactive account and emails an activation code. Registering over an account that was never activated keeps this registration beside the earlier ones (the last 5) and mails a fresh code; ' +
          'activation then asks for the password, so no registrant’s password replaces another’s. ' +
          'An active account gets the same answer and nothing is sent, so the route does not reveal which emails exist. Never-activated accounts are deleted after 7 days.',
        body: schemas.registerBody,
        response: { 201: schemas.registeredSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await accounts.register(request.ctx, request.body)),
  );

  app.post(
    '/account/activate',
    {
      config: { auth: 'public' },
      preHandler: limits('activate', SECRET_LIMIT),
      schema: {
        operationId: 'activateAccount',
        tags: TAGS,
        summary: 'Activate an account with the emailed code',
        description:
          'Wrong, expired or burned codes answer 400 `otp_invalid`, `otp_expired` or `otp_attempts_exceeded`. ' +
          'Once the email was registered more than once, a right code also needs `password` (400 `password_required` without it), ' +
          'which must be the password of one of those registrations (400 `invalid_credentials` otherwise, counted like a failed login; the code stays usable): ' +
          'that registration is kept and the others are discarded.',
        body: schemas.activateBody,
        response: { 200: detailSchema },
      },
    },
    async (request) => {
      await accounts.activateAccount(request.ctx, request.body);
      return { detail: 'The account is active; you can log in.' };
    },
  );

  app.post(
    '/account/activate/otp/resend',
    {
      config: { auth: 'public' },
      preHandler: limits('activate-resend', MAIL_LIMIT),
      schema: {
        operationId: 'resendActivationOtp',
        tags: TAGS,
        summary: 'Send a new activation code',
        description:
          'Always 202 with the same body. Nothing is sent within 60 s of the last code, or past 5 codes an hour for the account and purpose.',
        body: schemas.emailBody,
        response: { 202: detailSchema },
      },
    },
    async (request, reply) => {
      await accounts.resendActivation(request.ctx, request.body);
      return reply.code(202).send({ detail: SENT_DETAIL });
    },
  );

  app.post(
    '/login',
    {
      config: { auth: 'public', problems: [401, 403] },
      preHandler: limits('login', SECRET_LIMIT),
      schema: {
        operationId: 'login',
        tags: TAGS,
        summary: 'Log in with email and password',
        description:
          '200 with tokens, or 202 when the user turned on two-step login (a code is emailed; finish at `login/otp/verify/`). ' +
          'Any wrong email or password, and a locked account, answer the same 401 `invalid_credentials`; ' +
          'a right password for an account not yet activated answers 403 `account_not_activated`. ' +
          `${accounts.MAX_FAILED_LOGINS} failed logins in a row lock the account for ${accounts.LOCKOUT_MINUTES} minutes.`,
        body: schemas.loginBody,
        response: { 200: schemas.sessionSchema, 202: schemas.otpRequiredSchema },
      },
    },
    async (request, reply) => {
      const result = await accounts.login(request.ctx, request.body);
      if (result.kind === 'otp_required') {
        return reply.code(202).send({ otpRequired: true as const, detail: 'A login code has been emailed.' });
      }
      return reply.code(200).send(result.session);
    },
  );

  app.post(
    '/login/otp/resend',
    {
      config: { auth: 'public' },
      preHandler: limits('login-otp-resend', MAIL_LIMIT),
      schema: {
        operationId: 'resendLoginOtp',
        tags: TAGS,
        summary: 'Send a new two-step login code',
        description: 'Always 202. A code is sent only inside the live challenge of a successful password step (the resent code expires with it), outside the cooldown.',
        body: schemas.emailBody,
        response: { 202: detailSchema },
      },
    },
    async (request, reply) => {
      await accounts.resendLoginOtp(request.ctx, request.body);
      return reply.code(202).send({ detail: SENT_DETAIL });
    },
  );

  app.post(
    '/login/otp/verify',
    {
      config: { auth: 'public' },
      preHandler: limits('login-otp-verify', SECRET_LIMIT),
      schema: {
        operationId: 'verifyLoginOtp',
        tags: TAGS,
        summary: 'Finish a two-step login with the emailed code',
        description:
          'Only inside the live challenge of a successful password step; outside one, or while the account is locked, 400 `otp_invalid`. Wrong codes count toward the lockout.',
        body: schemas.emailOtpBody,
        response: { 200: schemas.sessionSchema },
      },
    },
    async (request) => accounts.verifyLoginOtp(request.ctx, request.body),
  );

  app.post(
    '/token/refresh',
    {
      config: { auth: 'public', problems: [401] },
      schema: {
        operationId: 'refreshToken',
        tags: TAGS,
        summary: 'Rotate a refresh token',
        description:
          'Answers a new access and refresh token; the old refresh token is spent. Presenting a spent token again revokes its whole session (401 `token_invalid`). A session ends `JWT_SESSION_MAX_LIFETIME` after its login however often it rotated.',
        body: schemas.refreshBody,
        response: { 200: schemas.tokenPairSchema },
      },
    },
    async (request) => sessions.refreshSession(request.ctx, request.body),
  );

  app.post(
    '/token/verify',
    {
      config: { auth: 'public', problems: [401] },
      schema: {
        operationId: 'verifyToken',
        tags: TAGS,
        summary: 'Check an access token',
        description: 'Accepts access tokens only. `exp` is in epoch seconds. Anything else answers 401 `token_invalid`.',
        body: schemas.verifyTokenBody,
        response: { 200: schemas.tokenValiditySchema },
      },
    },
    async (request) => sessions.verifyAccessToken(request.ctx, request.body),
  );

  app.post(
    '/logout',
    {
      config: { auth: 'public', problems: [401] },
      schema: {
        operationId: 'logout',
        tags: TAGS,
        summary: 'End the session of a refresh token',
        description: 'Revokes the whole session (refresh family) of the token, spent or not. An unknown token answers 401 `token_invalid`.',
        body: schemas.refreshBody,
        response: { 204: z.undefined().describe('The session is revoked.') },
      },
    },
    async (request, reply) => {
      await sessions.logout(request.ctx, request.body);
      return reply.code(204).send();
    },
  );

  app.post(
    '/change-password',
    {
      config: { auth: 'user' },
      preHandler: app.limit({ name: 'change-password', max: SECRET_LIMIT, key: (request) => request.actor?.userId }),
      schema: {
        operationId: 'changePassword',
        tags: TAGS,
        summary: 'Change the caller’s password',
        description:
          'A wrong `oldPassword` answers 400 `invalid_credentials` (so the client stays logged in) and counts toward the lockout. Every other session is signed out; this one stays.',
        body: schemas.changePasswordBody,
        response: { 200: detailSchema },
      },
    },
    async (request) => {
      await accounts.changePassword(request.ctx, request.body, actorOf(request));
      return { detail: 'The password has been changed.' };
    },
  );

  for (const [path, operationId, summary] of [
    ['/forget-password', 'requestPasswordReset', 'Email a password reset code'],
    ['/forget-password/otp/send', 'sendPasswordResetOtp', 'Email a password reset code (alias)'],
    ['/forget-password/otp/resend', 'resendPasswordResetOtp', 'Email a new password reset code'],
  ] as const) {
    app.post(
      path,
      {
        config: { auth: 'public' },
        preHandler: limits('forget-password', MAIL_LIMIT),
        schema: {
          operationId,
          tags: TAGS,
          summary,
          description:
            'Always 202 with the same body; a code is sent only to an active account. Nothing is sent within 60 s of the last code, or past 5 codes an hour for the account and purpose.',
          body: schemas.emailBody,
          response: { 202: detailSchema },
        },
      },
      async (request, reply) => {
        await accounts.requestPasswordReset(request.ctx, request.body);
        return reply.code(202).send({ detail: SENT_DETAIL });
      },
    );
  }

  app.post(
    '/forget-password/confirm',
    {
      config: { auth: 'public' },
      preHandler: limits('forget-password-confirm', SECRET_LIMIT),
      schema: {
        operationId: 'confirmPasswordReset',
        tags: TAGS,
        summary: 'Set a new password with the reset code',
        description: 'Unlocks a locked account and signs out every session.',
        body: schemas.resetPasswordBody,
        response: { 200: detailSchema },
      },
    },
    async (request) => {
      await accounts.confirmPasswordReset(request.ctx, request.body);
      return { detail: 'The password has been reset; you can log in.' };
    },
  );

  app.get(
    '/list',
    {
      config: { auth: ['admin'] },
      schema: {
        operationId: 'listUsers',
        tags: TAGS,
        summary: 'List users (admin)',
        description: '`search` matches first name, last name and email, case-insensitively.',
        querystring: schemas.userListQuery,
        response: { 200: schemas.userPageSchema },
      },
    },
    async (request) => {
      const { count, results } = await accounts.listUsers(request.ctx, request.query, actorOf(request));
      return toPage(requestUrl(request, request.ctx.config.publicUrl), request.query, count, results);
    },
  );

  app.get(
    '/sessions',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'listSessions',
        tags: TAGS,
        summary: 'The caller’s live sessions',
        description: 'Every live session (refresh-token family) of the caller, most recently used first, with the address and User-Agent of its latest login or refresh.',
        response: { 200: schemas.sessionListSchema },
      },
    },
    async (request) => sessions.listSessions(request.ctx, actorOf(request)),
  );

  app.delete(
    '/sessions/:id',
    {
      config: { auth: 'user', problems: [404] },
      schema: {
        operationId: 'revokeSession',
        tags: TAGS,
        summary: 'End one of the caller’s sessions',
        description:
          'Revokes the session’s refresh tokens; its access tokens stop working at once. The current session may be ended too. ' +
          'A session of another user, or one already over, answers 404.',
        params: idParamsSchema,
        response: { 204: z.undefined().describe('The session is over.') },
      },
    },
    async (request, reply) => {
      await sessions.revokeSession(request.ctx, request.params.id, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'getMe',
        tags: TAGS,
        summary: 'The caller’s account',
        response: { 200: schemas.userSchema },
      },
    },
    async (request) => accounts.getMe(request.ctx, actorOf(request)),
  );

  app.patch(
    '/me',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'updateMe',
        tags: TAGS,
        summary: 'Update the caller’s account',
        description:
          'Only `firstName`, `lastName`, `phone` and `twoStepLogin` may be set; any other field answers 400. ' +
          'Turning `twoStepLogin` off needs `currentPassword` (400 `validation_failed` naming it when missing, 400 `invalid_credentials` when wrong); ' +
          'the owner is emailed whenever the setting changes.',
        body: schemas.updateMeBody,
        response: { 200: schemas.userSchema },
      },
    },
    async (request) => accounts.updateMe(request.ctx, request.body, actorOf(request)),
  );
};

export default accountsRoutes;
