// HTTP routes of the accounts module (`/v1/api/user/...`): validation, rate limits, status codes.
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../plugins/auth.ts';
import { detailSchema, idParamsSchema } from '../../schemas/common.ts';
import { requestUrl, toPage } from '../../schemas/pagination.ts';
import * as schemas from './accounts.schemas.ts';
import * as accounts from './accounts.service.ts';
import * as notifications from './notifications.service.ts';
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
          '200 with tokens, or 202 when a second step is due (finish at `login/otp/verify/`): `method: "email"` when two-step login is on or the role requires it (`MFA_REQUIRED_ROLES`) and a code is emailed; ' +
          '`method: "totp"` when the user set up an authenticator app (nothing is sent). ' +
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
        const detail = result.method === 'totp' ? 'Enter the code from your authenticator app.' : 'A login code has been sent (by e-mail, or by SMS if you chose it).';
        return reply.code(202).send({ otpRequired: true as const, method: result.method, detail });
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
        summary: 'Finish a two-step login',
        description:
          'Only inside the live challenge of a successful password step; outside one, or while the account is locked, 400 `otp_invalid`. Wrong codes count toward the lockout. ' +
          'With an authenticator app (login answered `method: "totp"`), `otp` is the app’s code, each accepted once, or one unused recovery code, each working once.',
        body: schemas.loginOtpBody,
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

  app.post(
    '/me/mfa/totp',
    {
      config: { auth: 'user' },
      preHandler: app.limit({ name: 'totp-enrol', max: SECRET_LIMIT, key: (request) => request.actor?.userId }),
      schema: {
        operationId: 'enrolTotp',
        tags: TAGS,
        summary: 'Start setting up an authenticator app',
        description:
          'Answers a new secret (RFC 6238: SHA-1, 6 digits, 30 s) to enter in the app; it is no login step until confirmed, and a new call replaces an unconfirmed one. ' +
          'A wrong `currentPassword` answers 400 `invalid_credentials` and counts toward the lockout; an app already set up answers 409.',
        body: schemas.totpEnrolBody,
        response: { 200: schemas.totpEnrolmentSchema },
      },
    },
    async (request) => accounts.enrolTotp(request.ctx, request.body, actorOf(request)),
  );

  app.post(
    '/me/mfa/totp/confirm',
    {
      config: { auth: 'user' },
      preHandler: app.limit({ name: 'totp-confirm', max: SECRET_LIMIT, key: (request) => request.actor?.userId }),
      schema: {
        operationId: 'confirmTotp',
        tags: TAGS,
        summary: 'Confirm the authenticator app with its first code',
        description:
          'From now on login asks for the app’s code. Answers 10 recovery codes, shown only now, each working once in place of a code. ' +
          'A wrong code answers 400 `otp_invalid` and counts toward the lockout; no enrolment to confirm answers 409.',
        body: schemas.totpConfirmBody,
        response: { 200: schemas.recoveryCodesSchema },
      },
    },
    async (request) => accounts.confirmTotp(request.ctx, request.body, actorOf(request)),
  );

  app.delete(
    '/me/mfa/totp',
    {
      config: { auth: 'user', problems: [404] },
      preHandler: app.limit({ name: 'totp-disable', max: SECRET_LIMIT, key: (request) => request.actor?.userId }),
      schema: {
        operationId: 'disableTotp',
        tags: TAGS,
        summary: 'Remove the authenticator app',
        description:
          'Needs the current password (400 `invalid_credentials` when wrong) and a code from the app or an unused recovery code (400 `otp_invalid` when wrong); both count toward the lockout. ' +
          'Its recovery codes go with it. No app set up answers 404.',
        body: schemas.totpDisableBody,
        response: { 204: z.undefined().describe('The authenticator app is removed.') },
      },
    },
    async (request, reply) => {
      await accounts.disableTotp(request.ctx, request.body, actorOf(request));
      return reply.code(204).send();
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
          'For roles listed in `MFA_REQUIRED_ROLES` two-step login is always on: turning it off answers 422 `policy_violation`. ' +
          'Turning `twoStepLogin` off needs `currentPassword` (400 `validation_failed` naming it when missing, 400 `invalid_credentials` when wrong); ' +
          'the owner is emailed whenever the setting changes.',
        body: schemas.updateMeBody,
        response: { 200: schemas.userSchema },
      },
    },
    async (request) => accounts.updateMe(request.ctx, request.body, actorOf(request)),
  );

  app.get(
    '/me/notifications',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'getNotificationPreferences',
        tags: TAGS,
        summary: 'The caller’s notification preferences',
        description: 'Without a saved choice: `{email:true, sms:false, reminderHours:[24], loginCodeChannel:"email"}`.',
        response: { 200: schemas.notificationPreferencesSchema },
      },
    },
    async (request) => notifications.getPreferences(request.ctx, actorOf(request)),
  );

  app.put(
    '/me/notifications',
    {
      config: { auth: 'user' },
      schema: {
        operationId: 'updateNotificationPreferences',
        tags: TAGS,
        summary: 'Replace the caller’s notification preferences',
        description:
          'Reminders go out `reminderHours` before each confirmed appointment on every chosen channel (e-mail, SMS), once each; changing the hours or channels applies to upcoming appointments too. ' +
          '`sms:true` and `loginCodeChannel:"sms"` need a verified phone (422 `phone_not_verified`); changing the phone later turns both back off.',
        body: schemas.notificationPreferencesBody,
        response: { 200: schemas.notificationPreferencesSchema },
      },
    },
    async (request) => notifications.updatePreferences(request.ctx, request.body, actorOf(request)),
  );

  app.post(
    '/me/phone/verify',
    {
      config: { auth: 'user' },
      preHandler: [app.limit({ name: 'phone-verify:ip', max: MAIL_LIMIT, key: 'ip' })],
      schema: {
        operationId: 'requestPhoneVerification',
        tags: TAGS,
        summary: 'Text a verification code to a phone number',
        description:
          'Sends a 6-digit code by SMS to `phone` (E.164). The code is valid `OTP_LIFETIME` (10 minutes), works once and only with the number it was sent to, and is burned by 5 wrong tries; ' +
          'within 60 s of the last code, or past 5 codes an hour, nothing is sent. Always 202.',
        body: schemas.phoneBody,
        response: { 202: detailSchema },
      },
    },
    async (request, reply) => {
      await notifications.requestPhoneVerification(request.ctx, request.body, actorOf(request));
      return reply.code(202).send({ detail: 'If a code may be sent now, it has been texted to that number.' });
    },
  );

  app.post(
    '/me/phone/verify/confirm',
    {
      config: { auth: 'user' },
      preHandler: [app.limit({ name: 'phone-verify-confirm:ip', max: SECRET_LIMIT, key: 'ip' })],
      schema: {
        operationId: 'confirmPhoneVerification',
        tags: TAGS,
        summary: 'Prove a phone number with the texted code',
        description: 'The number becomes the caller’s `phone`, verified. A wrong code answers 400 `otp_invalid` (`otp_expired`, `otp_attempts_exceeded` as for every code).',
        body: schemas.phoneConfirmBody,
        response: { 200: schemas.verifiedPhoneSchema },
      },
    },
    async (request) => notifications.confirmPhone(request.ctx, request.body, actorOf(request)),
  );
};

export default accountsRoutes;
