// The e-mails the clinic sends, each rendered as subject, plain text and escaped HTML.

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const APP_NAME = 'Clinic';
const SIGNATURE = `— The ${APP_NAME} team`;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

// A paragraph is a plain string, escaped here, or a code shown large so it is easy to copy.
type Block = string | { code: string };

function render(subject: string, blocks: Block[]): RenderedMail {
  // Subjects go into a header: a line break there must never reach the SMTP client.
  const cleanSubject = subject.replace(/\s+/g, ' ').trim();
  const text = [...blocks.map((block) => (typeof block === 'string' ? block : block.code)), SIGNATURE].join('\n\n');
  const paragraphs = blocks.map((block) =>
    typeof block === 'string'
      ? `<p>${escapeHtml(block)}</p>`
      : `<p style="font-size:24px;font-weight:bold;letter-spacing:4px">${escapeHtml(block.code)}</p>`,
  );
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(cleanSubject)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;line-height:1.5;color:#222">',
    ...paragraphs,
    `<p>${escapeHtml(SIGNATURE)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: cleanSubject, text, html };
}

const minutesText = (minutes: number) => `${minutes} minute${minutes === 1 ? '' : 's'}`;

function otpMail(subject: string, purpose: string, code: string, minutes: number): RenderedMail {
  return render(subject, [
    `Hello, here is your code to ${purpose}:`,
    { code },
    `It is valid for ${minutesText(minutes)} and works only once.`,
    'If you did not ask for it, you can ignore this e-mail.',
  ]);
}

export const mailTemplates = {
  activationOtp: ({ code, minutes }: { code: string; minutes: number }) =>
    otpMail(`Activate your ${APP_NAME} account`, `activate your ${APP_NAME} account`, code, minutes),

  loginOtp: ({ code, minutes }: { code: string; minutes: number }) =>
    otpMail(`Your ${APP_NAME} sign-in code`, 'finish signing in', code, minutes),

  passwordResetOtp: ({ code, minutes }: { code: string; minutes: number }) =>
    otpMail(`Reset your ${APP_NAME} password`, 'reset your password', code, minutes),

  passwordChanged: () =>
    render(`Your ${APP_NAME} password was changed`, [
      `Hello, the password of your ${APP_NAME} account was just changed, and your other sessions were signed out.`,
      'If this was not you, reset your password right away and contact the clinic.',
    ]),

  accountLocked: ({ minutes }: { minutes: number }) =>
    render(`Your ${APP_NAME} account is temporarily locked`, [
      `Hello, after too many failed sign-in attempts your account is locked for ${minutesText(minutes)}.`,
      'If this was not you, consider resetting your password.',
    ]),

  /** Free-form notices (appointments, staff notifications): each line becomes a paragraph. */
  notice: ({ subject, lines }: { subject: string; lines: string[] }) => render(subject, lines),
} satisfies Record<string, (input: never) => RenderedMail>;
