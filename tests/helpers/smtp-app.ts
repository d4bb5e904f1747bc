// The test app delivering its mail through a real SMTP server on loopback (smtp-server), with a
// short polling interval and an optional quick retry policy for the mail queue.
import type { RetryPolicy } from '../../src/lib/jobs.ts';
import { createMailer, type Logger } from '../../src/lib/mailer.ts';
import { buildTestApp, useShared, type TestApp } from './app.ts';
import { startSmtpServer, type SmtpTestServer } from './mail.ts';

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

export interface SmtpTestApp {
  t: TestApp;
  smtp: SmtpTestServer;
  close(): Promise<void>;
}

export async function buildSmtpTestApp(mailRetry?: RetryPolicy): Promise<SmtpTestApp> {
  const smtp = await startSmtpServer();
  const mailer = createMailer(smtp.emailConfig, silent);
  const t = await buildTestApp({
    overrides: { mailer, jobOptions: { pollingIntervalSeconds: 0.5, ...(mailRetry ? { retryOverrides: { mail: mailRetry } } : {}) } },
  });
  return {
    t,
    smtp,
    async close() {
      await t.close();
      await mailer.close();
      await smtp.stop();
    },
  };
}

/** The SMTP test app of a file or block: `t.smtp` is the server that receives its mail. */
export function useSmtpTestApp(mailRetry?: RetryPolicy): TestApp & { smtp: SmtpTestServer } {
  return useShared(async () => {
    const setup = await buildSmtpTestApp(mailRetry);
    return { ...setup.t, smtp: setup.smtp, close: () => setup.close() };
  });
}
