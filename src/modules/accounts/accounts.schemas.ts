// Request and response schemas of the accounts module (`user/` routes).
import { z } from 'zod';
import { Role } from '../../generated/prisma/enums.ts';
import { safeString } from '../../lib/strings.ts';
import { emailSchema } from '../../schemas/common.ts';
import { pageQuerySchema, pageSchema } from '../../schemas/pagination.ts';

/** Bounded but not judged here: the password policy (length, common list) lives in lib/password.ts. */
const passwordInput = safeString({ max: 1024, trim: false });
const otpInput = z.string().trim().regex(/^\d{6}$/, 'must be 6 digits');
/** A second-factor answer: a 6-digit code, or a recovery code (`xxxxx-xxxxx`, case and dash free). */
const secondFactorInput = z
  .string()
  .trim()
  .regex(/^(\d{6}|[A-Za-z0-9]{5}[- ]?[A-Za-z0-9]{5})$/, 'must be a 6-digit code or a recovery code');
const nameInput = safeString({ max: 100 });
/** E.164: a plus and up to 15 digits. */
export const phoneSchema = z.string().trim().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +15551234567');

export const roleSchema = z.enum(Role);

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    phone: z.string().nullable(),
    role: roleSchema,
    isActive: z.boolean(),
    twoStepLogin: z.boolean(),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .meta({ id: 'User' });

export type UserView = z.infer<typeof userSchema>;

export const registerBody = z
  .strictObject({
    email: emailSchema,
    password: passwordInput,
    firstName: nameInput.optional(),
    lastName: nameInput.optional(),
    phone: phoneSchema.optional(),
  })
  .meta({ id: 'RegisterRequest' });

export const registeredSchema = z
  .object({ id: z.uuid(), email: z.string(), isActive: z.literal(false), detail: z.string() })
  .meta({ id: 'Registered' });

export const emailBody = z.strictObject({ email: emailSchema }).meta({ id: 'EmailRequest' });
export const activateBody = z
  .strictObject({
    email: emailSchema,
    otp: otpInput,
    password: passwordInput.optional().describe('Required once the email was registered more than once: the password of the registration to keep.'),
  })
  .meta({ id: 'ActivateRequest' });
export const loginBody = z.strictObject({ email: emailSchema, password: passwordInput }).meta({ id: 'LoginRequest' });

export const tokenPairSchema = z
  .object({ access: z.string(), refresh: z.string() })
  .meta({ id: 'TokenPair' });

export const sessionSchema = z
  .object({ access: z.string(), refresh: z.string(), user: userSchema })
  .meta({ id: 'Session' });

export const otpRequiredSchema = z
  .object({
    otpRequired: z.literal(true),
    method: z.enum(['email', 'totp']).describe('`email`: a code was emailed; `totp`: answer with the authenticator app (or a recovery code), nothing is sent.'),
    detail: z.string(),
  })
  .meta({ id: 'OtpRequired' });

export const loginOtpBody = z
  .strictObject({
    email: emailSchema,
    otp: secondFactorInput.describe('The emailed code; with an authenticator app, its code or one unused recovery code.'),
  })
  .meta({ id: 'LoginOtpRequest' });

export const totpEnrolBody = z.strictObject({ currentPassword: passwordInput }).meta({ id: 'TotpEnrolRequest' });
export const totpEnrolmentSchema = z
  .object({
    secret: z.string().describe('Base32 secret for the authenticator app (RFC 6238, SHA-1, 6 digits, 30 s).'),
    otpauthUrl: z.string().describe('The same as an `otpauth://totp/...` URL, for a QR code.'),
  })
  .meta({ id: 'TotpEnrolment' });
export const totpConfirmBody = z.strictObject({ code: otpInput }).meta({ id: 'TotpConfirmRequest' });
export const recoveryCodesSchema = z
  .object({ recoveryCodes: z.array(z.string()).describe('10 one-time recovery codes, shown only now.') })
  .meta({ id: 'RecoveryCodes' });
export const totpDisableBody = z
  .strictObject({ currentPassword: passwordInput, code: secondFactorInput.describe('An authenticator code or an unused recovery code.') })
  .meta({ id: 'TotpDisableRequest' });

export const refreshBody = z.strictObject({ refresh: safeString({ min: 1, max: 512 }) }).meta({ id: 'RefreshRequest' });
export const verifyTokenBody = z.strictObject({ token: safeString({ min: 1, max: 4096 }) }).meta({ id: 'VerifyTokenRequest' });
export const tokenValiditySchema = z
  .object({ valid: z.literal(true), exp: z.number().int().describe('Expiry in epoch seconds.') })
  .meta({ id: 'TokenValidity' });

export const changePasswordBody = z
  .strictObject({ oldPassword: passwordInput, newPassword: passwordInput })
  .meta({ id: 'ChangePasswordRequest' });
export const resetPasswordBody = z
  .strictObject({ email: emailSchema, otp: otpInput, newPassword: passwordInput })
  .meta({ id: 'ResetPasswordRequest' });

export const updateMeBody = z
  .strictObject({
    firstName: nameInput.optional(),
    lastName: nameInput.optional(),
    phone: phoneSchema.nullable().optional(),
    twoStepLogin: z.boolean().optional(),
    currentPassword: passwordInput.optional().describe('Required to turn `twoStepLogin` off.'),
  })
  .meta({ id: 'UpdateMeRequest' });

export const REMINDER_HOURS = [1, 2, 24, 48] as const;

export const notificationPreferencesSchema = z
  .object({
    email: z.boolean().describe('Reminders by e-mail'),
    sms: z.boolean().describe('Reminders and notices by SMS; needs a verified phone'),
    reminderHours: z
      .array(z.union(REMINDER_HOURS.map((hours) => z.literal(hours))))
      .max(REMINDER_HOURS.length)
      .describe('Hours before the start that reminders go out, among 1, 2, 24 and 48 (empty: none)'),
    loginCodeChannel: z.enum(['email', 'sms']).describe('Where two-step login codes go; `sms` needs a verified phone'),
  })
  .meta({ id: 'NotificationPreferences' });
export type NotificationPreferencesView = z.output<typeof notificationPreferencesSchema>;

export const notificationPreferencesBody = z
  .strictObject(notificationPreferencesSchema.shape)
  .meta({ id: 'NotificationPreferencesRequest' });

export const phoneBody = z.strictObject({ phone: phoneSchema }).meta({ id: 'PhoneVerificationRequest' });
export type PhoneInput = z.output<typeof phoneBody>;
export const phoneConfirmBody = z.strictObject({ phone: phoneSchema, otp: otpInput }).meta({ id: 'PhoneVerificationConfirmRequest' });
export type PhoneConfirmInput = z.output<typeof phoneConfirmBody>;
export const verifiedPhoneSchema = z.object({ phone: z.string(), phoneVerified: z.literal(true) }).meta({ id: 'VerifiedPhone' });

export const sessionViewSchema = z
  .object({
    id: z.uuid().describe('The session (refresh-token family): the `sid` of its access tokens.'),
    createdAt: z.iso.datetime({ offset: true }).describe('The login that started it.'),
    lastUsedAt: z.iso.datetime({ offset: true }).describe('Its latest login or token refresh.'),
    ip: z.string().nullable().describe('The client address of that login or refresh.'),
    userAgent: z.string().nullable().describe('The User-Agent of that login or refresh.'),
    current: z.boolean().describe('Whether the request’s own access token belongs to it.'),
  })
  .meta({ id: 'SessionInfo' });

export const sessionListSchema = z.array(sessionViewSchema).meta({ id: 'SessionList' });

export type SessionView = z.infer<typeof sessionViewSchema>;

export const userListQuery = pageQuerySchema.extend({
  search: safeString({ max: 100 }).optional(),
  role: roleSchema.optional(),
  isActive: z.stringbool().optional(),
});

export const userPageSchema = pageSchema(userSchema).meta({ id: 'UserPage' });

export type RegisterInput = z.output<typeof registerBody>;
export type EmailInput = z.output<typeof emailBody>;
export type ActivateInput = z.output<typeof activateBody>;
export type LoginInput = z.output<typeof loginBody>;
export type LoginOtpInput = z.output<typeof loginOtpBody>;
export type TotpEnrolInput = z.output<typeof totpEnrolBody>;
export type TotpConfirmInput = z.output<typeof totpConfirmBody>;
export type TotpDisableInput = z.output<typeof totpDisableBody>;
export type ChangePasswordInput = z.output<typeof changePasswordBody>;
export type ResetPasswordInput = z.output<typeof resetPasswordBody>;
export type UpdateMeInput = z.output<typeof updateMeBody>;
export type UserListQuery = z.output<typeof userListQuery>;

/** What the accounts module announces (lib/events.ts), in the transaction of the change. */
declare module '../../lib/events.ts' {
  interface EventPayloads {
    /** An account was activated: its owner is a patient from now on. */
    'account.activated': { userId: string; phone: string | null };
    /** A user's notification preferences changed (or fell back because their phone changed). */
    'account.notifications_changed': { userId: string };
  }
}
