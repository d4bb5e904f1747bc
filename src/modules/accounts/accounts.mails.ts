// The e-mails of the accounts module: one-time codes and security notices.
import { APP_NAME, minutesText, renderMail, type RenderedMail } from '../../lib/mail-templates.ts';

function otpMail(subject: string, purpose: string, code: string, minutes: number, notes: string[] = []): RenderedMail {
  return renderMail(subject, [
    `Hello, here is your code to ${purpose}:`,
    { code },
    `It is valid for ${minutesText(minutes)} and works only once.`,
    ...notes,
    'If you did not ask for it, you can ignore this e-mail.',
  ]);
}

export interface OtpMailInput {
  code: string;
  minutes: number;
  /** Activation only: the address was registered more than once before activation. */
  repeatedRegistration?: boolean;
}

const REPEATED_REGISTRATION_NOTE =
  'This address was registered more than once. To activate the account, enter the password you chose together with this code: ' +
  'only the registration with that password is kept.';

export const accountMails = {
  activationOtp: ({ code, minutes, repeatedRegistration }: OtpMailInput) =>
    otpMail(`Activate your ${APP_NAME} account`, `activate your ${APP_NAME} account`, code, minutes, repeatedRegistration ? [REPEATED_REGISTRATION_NOTE] : []),

  loginOtp: ({ code, minutes }: OtpMailInput) =>
    otpMail(`Your ${APP_NAME} sign-in code`, 'finish signing in', code, minutes),

  passwordResetOtp: ({ code, minutes }: OtpMailInput) =>
    otpMail(`Reset your ${APP_NAME} password`, 'reset your password', code, minutes),

  passwordChanged: () =>
    renderMail(`Your ${APP_NAME} password was changed`, [
      `Hello, the password of your ${APP_NAME} account was just changed, and your other sessions were signed out.`,
      'If this was not you, reset your password right away and contact the clinic.',
    ]),

  accountLocked: ({ minutes }: { minutes: number }) =>
    renderMail(`Your ${APP_NAME} account is temporarily locked`, [
      `Hello, after too many failed sign-in attempts your account is locked for ${minutesText(minutes)}.`,
      'If this was not you, consider resetting your password.',
    ]),

  twoStepChanged: ({ enabled }: { enabled: boolean }) =>
    renderMail(`Two-step sign-in was turned ${enabled ? 'on' : 'off'}`, [
      enabled
        ? `Hello, two-step sign-in is now on for your ${APP_NAME} account: each sign-in will ask for a code sent to this address.`
        : `Hello, two-step sign-in is now off for your ${APP_NAME} account: a password alone signs in.`,
      'If this was not you, reset your password right away and contact the clinic.',
    ]),
} satisfies Record<string, (input: never) => RenderedMail>;
