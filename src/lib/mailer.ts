// Sends one e-mail: SMTP through nodemailer when EMAIL_HOST is set. Without it, mail is printed
// readably where a developer may see codes (embedded mode, NODE_ENV=development), and refused
// (so the job is retried until SMTP is configured) everywhere else.
import type { Transporter } from 'nodemailer';
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
  /**
   * Resolves once the server accepted the message; rejects so the job queue retries it. `id`
   * (the mail job's) makes the Message-ID, so a retry of a mail that did get through carries the
   * same one and clients and servers can tell the copy.
   */
  send(message: MailMessage, id?: string): Promise<void>;
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
/** SMTP connections a process keeps open at most; the mails being sent share them. */
const SMTP_CONNECTIONS = 5;

export interface MailerOptions {
  /** Where to print mail when no SMTP server is configured; mail is refused when absent. */
  print?: (text: string) => void;
}

/** Mail is printed, never sent, only where a developer is trying the API. */
export function mailerOptions(config: Pick<Config, 'embedded' | 'env'>): MailerOptions {
  return config.embedded || config.env === 'development' ? { print: (text) => void process.stdout.write(text) } : {};
}

export function createMailer(email: Config['email'], logger: Logger, options: MailerOptions = {}): Mailer {
  if (email.host) return createSmtpMailer(email, email.host);
  return options.print ? createPrintMailer(logger, options.print) : createRefusingMailer(logger);
}

function createSmtpMailer(email: Config['email'], host: string): Mailer {
  const implicitTls = email.port === 465;
  // nodemailer is loaded with the first mail: a process that never sends one does not carry it.
  let transport: Promise<Transporter> | undefined;
  const transportOf = () =>
    (transport ??= import('nodemailer').then(({ createTransport }) =>
      createTransport({
        host,
        port: email.port,
        secure: implicitTls,
        // EMAIL_USE_TLS means STARTTLS is mandatory, as in the original Django settings.
        requireTLS: email.useTls && !implicitTls,
        auth: email.user ? { user: email.user, pass: email.password ?? '' } : undefined,
        // A few connections kept open and reused: a new one costs the server's greeting pause
        // (100 ms and more) before every mail.
        pool: true,
        maxConnections: SMTP_CONNECTIONS,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
      }),
    ));
  const idDomain = domainOf(email.from);
  return {
    async send(message, id) {
      await (await transportOf()).sendMail({
        ...(id ? { messageId: `<${id}@${idDomain}>` } : {}),
        from: email.from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        attachments: message.attachments,
      });
    },
    async close() {
      if (transport) (await transport).close();
    },
  };
}

/** The domain of the sender's address ("Clinic <no-reply@clinic.example>" → clinic.example), for Message-IDs. */
export function domainOf(from: string): string {
  return /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'localhost';
}

function createPrintMailer(logger: Logger, print: (text: string) => void): Mailer {
  logger.warn({}, 'EMAIL_HOST is not set: e-mails are printed to the console instead of being sent');
  const rule = '─'.repeat(72);
  return {
    async send(message) {
      // For trying the API only: the developer needs the code from the mail, on a line of its own.
      const attachments = message.attachments?.length ? `\nAttachments: ${message.attachments.map((a) => a.filename).join(', ')}` : '';
      print(`\n${rule}\nTo: ${message.to}\nSubject: ${message.subject}${attachments}\n\n${message.text}\n${rule}\n`);
    },
    async close() {},
  };
}

function createRefusingMailer(logger: Logger): Mailer {
  logger.warn({}, 'EMAIL_HOST is not set: e-mails wait in the queue until an SMTP server is configured');
  return {
    async send() {
      throw new Error('no SMTP server is configured (EMAIL_HOST)');
    },
    async close() {},
  };
}
