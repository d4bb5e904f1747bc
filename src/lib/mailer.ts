// Sends one e-mail: SMTP through nodemailer when EMAIL_HOST is set, otherwise (development) the log.
import { createTransport } from 'nodemailer';
import type { Config } from '../config.ts';

export interface MailAttachment {
  filename: string;
  content: string;
  contentType: string;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: MailAttachment[];
}

export interface Mailer {
  /** Resolves once the server accepted the message; rejects so the job queue retries it. */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** The slice of pino's (and Fastify's) logger this module needs. */
export interface Logger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

// A dead or unreachable SMTP server must fail a send within seconds, so the job is retried
// later instead of holding a worker for nodemailer's default minutes.
const SMTP_TIMEOUT_MS = 10_000;

export function createMailer(email: Config['email'], logger: Logger): Mailer {
  return email.host ? createSmtpMailer(email, email.host) : createLogMailer(logger);
}

function createSmtpMailer(email: Config['email'], host: string): Mailer {
  const implicitTls = email.port === 465;
  const transport = createTransport({
    host,
    port: email.port,
    secure: implicitTls,
    // EMAIL_USE_TLS means STARTTLS is mandatory, as in the original Django settings.
    requireTLS: email.useTls && !implicitTls,
    auth: email.user ? { user: email.user, pass: email.password ?? '' } : undefined,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  return {
    async send(message) {
      await transport.sendMail({
        from: email.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        attachments: message.attachments,
      });
    },
    async close() {
      transport.close();
    },
  };
}

function createLogMailer(logger: Logger): Mailer {
  logger.warn({}, 'EMAIL_HOST is not set: e-mails are written to the log instead of being sent');
  return {
    async send(message) {
      // Development without SMTP only: the developer needs the OTP in the body to try the API,
      // so the text goes to the log at info level. Configure EMAIL_HOST wherever real users are.
      logger.info(
        { to: message.to, subject: message.subject, text: message.text, attachments: message.attachments?.map((a) => a.filename) },
        `mail to ${message.to} with subject "${message.subject}" was "sent" (logged, no SMTP configured)`,
      );
    },
    async close() {},
  };
}
