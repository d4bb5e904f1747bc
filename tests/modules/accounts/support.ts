// Shared pieces of the accounts integration tests: requests, problem assertions, OTP mail.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { MailMessage } from '../../../src/lib/mailer.ts';
import type { TestApp } from '../../helpers/app.ts';
import { API, randomEmail, randomPassword } from '../../helpers/factories.ts';
import { otpFrom, type CaptureMailer } from '../../helpers/mail.ts';

export const USER = `${API}/user`;

export interface RequestOptions {
  headers?: Record<string, string>;
  /** The client IP the app sees (`request.ip`). */
  ip?: string;
  /** Leave the trailing slash off the path. */
  noSlash?: boolean;
}

function url(path: string, noSlash = false): string {
  const [pathname, query] = path.split('?') as [string, string | undefined];
  const clean = pathname.replace(/\/+$/, '');
  return `${USER}/${clean}${noSlash ? '' : '/'}${query === undefined ? '' : `?${query}`}`;
}

function send(app: FastifyInstance, method: 'GET' | 'POST' | 'PATCH', path: string, payload: unknown, options: RequestOptions) {
  return app.inject({
    method,
    url: url(path, options.noSlash),
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    headers: options.headers,
    ...(options.ip ? { remoteAddress: options.ip } : {}),
  });
}

export const post = (app: FastifyInstance, path: string, payload: unknown, options: RequestOptions = {}) =>
  send(app, 'POST', path, payload, options);

export const get = (app: FastifyInstance, path: string, options: RequestOptions = {}) => send(app, 'GET', path, undefined, options);

export const patch = (app: FastifyInstance, path: string, payload: unknown, options: RequestOptions = {}) =>
  send(app, 'PATCH', path, payload, options);

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an application/problem+json answer with this status and code, and returns its body. */
export function expectProblem(response: LightMyRequestResponse, status: number, code: string): ProblemBody {
  expect({ status: response.statusCode, body: response.body }).toMatchObject({ status });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<ProblemBody>();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.type).toBe('string');
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body;
}

/** Asserts a 400 validation_failed answer naming `path` among its field errors. */
export function expectFieldError(response: LightMyRequestResponse, path: string): ProblemBody {
  const body = expectProblem(response, 400, 'validation_failed');
  expect(body.errors?.map((error) => error.path)).toContain(path);
  return body;
}

export type MailKind = 'activation' | 'login' | 'reset' | 'changed' | 'locked';

const SUBJECT_PARTS: Record<MailKind, string> = {
  activation: 'Activate your',
  login: 'sign-in code',
  reset: 'Reset your',
  changed: 'password was changed',
  locked: 'temporarily locked',
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

/**
 * Waits until no job is waiting, retrying or running (reminders due later do not count). Jobs
 * that enqueue others (a registration job enqueues its mail) are waited for as well, so a test
 * can count what was sent.
 */
export async function settleMail(t: TestApp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await t.db.$queryRaw<{ pending: number }[]>`
      SELECT count(*)::int AS pending FROM pgboss.job
       WHERE state::text IN ('created', 'retry', 'active') AND start_after <= now()`;
    if (row?.pending === 0) return;
    if (Date.now() > deadline) throw new Error(`${row?.pending} jobs still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A 6-digit code that is surely not `code`. */
export function wrongCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/** A unique, valid request id, to find the audit rows of one request. */
export const requestId = () => `req-${randomUUID()}`;

/** A random private IPv4 address, so rate-limit counters of different tests never meet. */
export function randomIp(): string {
  const byte = () => Math.floor(Math.random() * 254) + 1;
  return `10.${byte()}.${byte()}.${byte()}`;
}

/** Registers through the API and activates with the mailed code; returns the credentials. */
export async function registerAndActivate(t: TestApp, email = randomEmail(), password = randomPassword()) {
  const mark = mailMark(t.mail);
  const registered = await post(t.app, 'register', { email, password });
  expect(registered.statusCode).toBe(201);
  const otp = await mark.nextOtp(email, 'activation');
  const activated = await post(t.app, 'account/activate', { email, otp });
  expect(activated.statusCode).toBe(200);
  const id = (registered.json<{ id: string }>()).id;
  return { id, email, password };
}

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
