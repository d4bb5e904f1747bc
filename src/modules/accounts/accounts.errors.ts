// The errors the accounts module answers with, each with its stable code.
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
  type AppError,
} from '../../lib/errors.ts';

/** Any wrong email or password, and a locked account: one body, so none can be told apart. */
export const invalidCredentials = () =>
  new UnauthorizedError({ code: 'invalid_credentials', detail: 'The email or password is not correct.' });

/** A wrong current password on an authenticated route: 400, so the client stays logged in. */
export const wrongCurrentPassword = (field: string) =>
  new BadRequestError({ code: 'invalid_credentials', detail: 'The current password is not correct.', errors: [{ path: field, message: 'is not correct' }] });

/** A repeated registration's activation without the password that picks the registration to keep. */
export const passwordRequired = () =>
  new BadRequestError({
    code: 'password_required',
    detail: 'This email was registered more than once: send the password you registered with.',
    errors: [{ path: 'password', message: 'is required after repeated registrations' }],
  });

/** An activation password that matches none of the email's registrations. */
export const registrationPasswordMismatch = () =>
  new BadRequestError({
    code: 'invalid_credentials',
    detail: 'The password matches no registration of this email.',
    errors: [{ path: 'password', message: 'is not correct' }],
  });

export const accountNotActivated = () =>
  new ForbiddenError({ code: 'account_not_activated', detail: 'The account is not activated yet.' });

export const tokenInvalid = () => new UnauthorizedError({ code: 'token_invalid', detail: 'The token is invalid, expired or revoked.' });

export const passwordPolicyViolation = (field: string, problem: string) =>
  new ValidationError({ detail: 'The password does not meet the policy.', errors: [{ path: field, message: problem }] });

export const missingField = (field: string, message: string) =>
  new ValidationError({ detail: `\`${field}\` is required here.`, errors: [{ path: field, message }] });

export type OtpFailure = 'otp_invalid' | 'otp_expired' | 'otp_attempts_exceeded';

const OTP_ERROR_DETAILS: Record<OtpFailure, string> = {
  otp_invalid: 'The code is not valid.',
  otp_expired: 'The code has expired; ask for a new one.',
  otp_attempts_exceeded: 'Too many wrong codes; ask for a new one.',
};

export function otpError(failure: OtpFailure): AppError {
  return new BadRequestError({ code: failure, detail: OTP_ERROR_DETAILS[failure] });
}

export const twoStepRequiredByRole = () =>
  new UnprocessableError({ code: 'policy_violation', detail: 'Two-step login cannot be turned off for your role.' });

export const totpAlreadyEnabled = () =>
  new ConflictError({ detail: 'An authenticator app is already set up; remove it before setting up another.' });

export const noTotpEnrolment = () => new ConflictError({ detail: 'There is no authenticator app enrolment to confirm; start one first.' });

export const noTotp = () => new NotFoundError({ detail: 'No authenticator app is set up.' });

export const phoneNotVerified = () =>
  new UnprocessableError({ code: 'phone_not_verified', detail: 'SMS needs a verified phone: verify it first (user/me/phone/verify/).' });
