// Test mail: a capture Mailer that records what the app sends, and a real SMTP server on loopback.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Config } from '../../src/config.ts';
import type { Mailer, MailMessage } from '../../src/lib/mailer.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

/** Resolves with the first item (already there or still to come) that matches, or rejects after the timeout. */
function createWaiter<T>(items: T[], what: string) {
  const pending = new Set<() => void>();
  const notify = () => {
    for (const check of [...pending]) check();
  };
  const waitFor = (predicate: (item: T) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const found = items.find(predicate);
        if (found === undefined) return;
        clearTimeout(timer);
        pending.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        pending.delete(check);
        reject(new Error(`no ${what} matched within ${timeoutMs} ms (${items.length} seen)`));
      }, timeoutMs);
      pending.add(check);
      check();
    });
  return { notify, waitFor };
}

export interface CaptureMailer extends Mailer {
  readonly messages: MailMessage[];
  waitFor(predicate: (message: MailMessage) => boolean, timeoutMs?: number): Promise<MailMessage>;
}

/** A Mailer for buildApp/worker overrides: every sent message lands in `messages`. */
export function createCaptureMailer(): CaptureMailer {
  const messages: MailMessage[] = [];
  const waiter = createWaiter(messages, 'captured mail');
  return {
    messages,
    async send(message) {
      messages.push(structuredClone(message));
      waiter.notify();
    },
    async close() {},
    waitFor: waiter.waitFor,
  };
}

/** The 6-digit code in an OTP mail's text. */
export function otpFrom(message: { text: string }): string {
  const match = /\b(\d{6})\b/.exec(message.text);
  if (!match) throw new Error(`no 6-digit code in mail: ${message.text}`);
  return match[1]!;
}

export interface ReceivedMail {
  from: string | undefined;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  subject: string;
  text: string;
  html: string;
  attachments: { filename: string; contentType: string; content: string }[];
  raw: string;
}

export interface SmtpTestServer {
  readonly port: number;
  readonly messages: ReceivedMail[];
  /** `config.email` pointing at this server (plain SMTP, no auth). */
  readonly emailConfig: Config['email'];
  waitFor(predicate: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Closes the listener and drops open connections: the SMTP server is "down". */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** A real smtp-server on 127.0.0.1 and a random port that keeps every message it receives. */
export async function startSmtpServer(): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  const waiter = createWaiter(messages, 'SMTP mail');
  let server: SMTPServer | undefined;
  let port = 0;

  async function start() {
    if (server) return;
    const instance = new SMTPServer({
      authOptional: true,
      // Plain SMTP: advertising STARTTLS with smtp-server's self-signed certificate would make
      // nodemailer try it and reject the certificate.
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      closeTimeout: 100,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mailFrom = session.envelope.mailFrom;
          messages.push({
            from: mailFrom ? mailFrom.address : undefined,
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            ...parseMime(raw),
            raw,
          });
          waiter.notify();
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      instance.server.once('error', reject);
      instance.listen(port, '127.0.0.1', () => {
        instance.server.off('error', reject);
        resolve();
      });
    });
    port = (instance.server.address() as AddressInfo).port;
    server = instance;
  }

  async function stop() {
    const instance = server;
    if (!instance) return;
    server = undefined;
    await new Promise<void>((resolve) => instance.close(() => resolve()));
  }

  await start();
  return {
    get port() {
      return port;
    },
    messages,
    get emailConfig() {
      return { host: '127.0.0.1', port, user: undefined, password: undefined, useTls: false, from: 'Clinic Test <no-reply@clinic.test>' };
    },
    waitFor: waiter.waitFor,
    stop,
    start,
  };
}

// Just enough MIME for what nodemailer writes: headers, multipart bodies, base64 and
// quoted-printable parts, RFC 2047 encoded words in the subject. Not a general parser.

type Headers = Map<string, string>;

function splitHeaders(entity: string): { headers: Headers; body: string } {
  const end = entity.search(/\r?\n\r?\n/);
  const head = end === -1 ? entity : entity.slice(0, end);
  const body = end === -1 ? '' : entity.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers: Headers = new Map();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

function headerParameter(value: string | undefined, name: string): string | undefined {
  const match = new RegExp(`${name}\\*?="?([^";]+)"?`, 'i').exec(value ?? '');
  return match?.[1];
}

function decodeQuotedPrintable(text: string): Buffer {
  const unfolded = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unfolded.length; i++) {
    const hex = unfolded.slice(i + 1, i + 3);
    if (unfolded[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(unfolded[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch (encoding?.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable':
      return decodeQuotedPrintable(body).toString('utf8');
    default:
      return body;
  }
}

function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?[^?]+\?([BbQq])\?([^?]*)\?=/g, (_, kind: string, data: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('utf8'),
    );
}

function parseMime(raw: string): Omit<ReceivedMail, 'from' | 'to' | 'raw'> {
  const mail: Omit<ReceivedMail, 'from' | 'to' | 'raw'> = { subject: '', text: '', html: '', attachments: [] };
  const walk = (entity: string) => {
    const { headers, body } = splitHeaders(entity);
    const contentType = headers.get('content-type') ?? 'text/plain';
    const boundary = headerParameter(contentType, 'boundary');
    if (contentType.toLowerCase().startsWith('multipart/') && boundary) {
      const parts = body.split(`--${boundary}`).slice(1);
      for (const part of parts) {
        if (part.startsWith('--')) break;
        walk(part.replace(/^\r?\n/, ''));
      }
      return;
    }
    const content = decodeBody(body, headers.get('content-transfer-encoding'))
      .replace(/\r\n/g, '\n')
      .replace(/\n$/, '');
    const disposition = headers.get('content-disposition');
    const type = contentType.split(';')[0]!.trim().toLowerCase();
    if (disposition?.toLowerCase().startsWith('attachment')) {
      mail.attachments.push({ filename: headerParameter(disposition, 'filename') ?? '', contentType: type, content });
    } else if (type === 'text/plain') {
      mail.text = content;
    } else if (type === 'text/html') {
      mail.html = content;
    }
  };
  const { headers } = splitHeaders(raw);
  mail.subject = decodeEncodedWords(headers.get('subject') ?? '');
  walk(raw);
  return mail;
}
