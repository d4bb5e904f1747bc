// Helpers of the accounts tests: requests under `user/`, account mail by kind, one-time codes, and
// registration through the API.
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import type { MailMessage } from '../../src/lib/mailer.ts';
import { randomEmail, randomPassword } from './actors.ts';
import type { TestApp } from './app.ts';
import { request, type RequestOptions } from './http.ts';
import { otpFrom, type CaptureMailer } from './mail.ts';

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;

/** Requests to `user/<path>` (the accounts routes). */
const userPath = (path: string) => `user/${path}`;

export const post = (app: FastifyInstance, path: string, payload: unknown, options: RequestOptions = {}) =>
  request(app, 'POST', userPath(path), payload, options);

export const get = (app: FastifyInstance, path: string, options: RequestOptions = {}) =>
  request(app, 'GET', userPath(path), undefined, options);

export const patch = (app: FastifyInstance, path: string, payload: unknown, options: RequestOptions = {}) =>
  request(app, 'PATCH', userPath(path), payload, options);

export type MailKind = 'activation' | 'login' | 'reset' | 'changed' | 'locked' | 'twoStep';

const SUBJECT_PARTS: Record<MailKind, string> = {
  activation: 'Activate your',
  login: 'sign-in code',
  reset: 'Reset your',
  changed: 'password was changed',
  locked: 'temporarily locked',
  twoStep: 'Two-step sign-in was turned',
};

export const isKind = (message: MailMessage, kind: MailKind) => message.subject.includes(SUBJECT_PARTS[kind]);

/** Mails of one kind to one address captured so far. */
export function mailsTo(mail: CaptureMailer, to: string, kind?: MailKind): MailMessage[] {
  return mail.messages.filter((message) => message.to === to && (kind === undefined || isKind(message, kind)));
}

/** Where the captured mail stands now; `next` waits for a mail that arrives after this point. */
export function mailMark(mail: CaptureMailer) {
  const start = mail.messages.length;
  return {
    next(to: string, kind: MailKind, timeoutMs?: number): Promise<MailMessage> {
      return mail.waitFor((message) => mail.messages.indexOf(message) >= start && message.to === to && isKind(message, kind), timeoutMs);
    },
    async nextOtp(to: string, kind: MailKind, timeoutMs?: number): Promise<string> {
      return otpFrom(await this.next(to, kind, timeoutMs));
    },
  };
}

/** A 6-digit code that is surely not `code`. */
export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/**
 * Registers through the API (with `fields` such as a name or phone) and activates with the mailed
 * code; returns the credentials.
 */
export async function registerAndActivate(t: TestApp, email = randomEmail(), password = randomPassword(), fields: Record<string, string> = {}) {
  const mark = mailMark(t.mail);
  const registered = await post(t.app, 'register', { ...fields, email, password });
  expect(registered.statusCode).toBe(201);
  const otp = await mark.nextOtp(email, 'activation');
  const activated = await post(t.app, 'account/activate', { email, otp });
  expect(activated.statusCode).toBe(200);
  const id = (registered.json<{ id: string }>()).id;
  return { id, email, password };
}
