// Mail without SMTP: printed readably only where a developer tries the API, refused (so the job
// retries until SMTP is configured) everywhere else; and the domain of the Message-IDs SMTP mail gets.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createMailer, domainOf, mailerOptions, type Logger } from '../../src/lib/mailer.ts';
import { accountMails } from '../../src/modules/accounts/accounts.mails.ts';

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };
const base = { SECRET_KEY: 'k'.repeat(40), DATABASE_URL: 'postgresql://app@db.internal:5432/clinic' };
const message = { to: 'ann@example.com', ...accountMails.activationOtp({ code: '482913', minutes: 10 }) };

describe('mail without an SMTP server', () => {
  it('is printed as a readable block, the code on a line of its own, in embedded mode and in development', async () => {
    for (const config of [loadConfig({ ...base, NODE_ENV: 'test' }, { embedded: true }), loadConfig({ ...base, NODE_ENV: 'development' })]) {
      expect(mailerOptions(config).print).toBeTypeOf('function');
    }
    const printed: string[] = [];
    const mailer = createMailer(loadConfig(base).email, silent, { print: (text) => printed.push(text) });
    await mailer.send(message);
    const block = printed.join('');
    expect(block).toContain('To: ann@example.com');
    expect(block).toContain(`Subject: ${message.subject}`);
    expect(block.split('\n')).toContain('482913');
    expect(block).not.toContain('{"');
  });

  it('is refused elsewhere (test, production), so it waits in the queue and never reaches a log', async () => {
    for (const config of [loadConfig({ ...base, NODE_ENV: 'test' })]) expect(mailerOptions(config)).toEqual({});
    const mailer = createMailer(loadConfig(base).email, silent, {});
    await expect(mailer.send(message)).rejects.toThrow(/no SMTP server is configured/);
  });
});

describe('the Message-ID domain', () => {
  it('is the sender address’s domain, with or without a display name', () => {
    expect(domainOf('Clinic API <no-reply@clinic.local>')).toBe('clinic.local');
    expect(domainOf('no-reply@mail.example.org')).toBe('mail.example.org');
    expect(domainOf('Clinic API')).toBe('localhost');
  });
});
