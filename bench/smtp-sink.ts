// The SMTP server of `npm run bench:jobs` and `bench:crash`, in a process of its own: smtp-server on
// loopback that accepts every message and records when it arrived, its first recipient and its
// Message-ID. `GET /stats` on a second port answers the arrivals so far (epoch ms), the recipients
// (in the same order) and the Message-IDs seen more than once.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

const arrivals: number[] = [];
const recipients: string[] = [];
const messageIds = new Map<string, number>();

const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  // A relay's reverse DNS lookup of the client is not the app's time.
  disableReverseLookup: true,
  // Many worker connections at once; smtp-server refuses past this many.
  maxClients: 1000,
  onData(stream, session, callback) {
    let head = '';
    stream.on('data', (chunk: Buffer) => {
      if (head.length < 4096) head += chunk.toString('utf8');
    });
    stream.on('end', () => {
      arrivals.push(Date.now());
      recipients.push(session.envelope.rcptTo[0]?.address ?? '');
      const id = /^message-id:\s*(\S+)/im.exec(head)?.[1];
      if (id) messageIds.set(id, (messageIds.get(id) ?? 0) + 1);
      callback();
    });
  },
});

const stats = http.createServer((request, response) => {
  if (request.url === '/reset') {
    arrivals.length = 0;
    recipients.length = 0;
    messageIds.clear();
  }
  const repeated = [...messageIds].filter(([, count]) => count > 1).map(([id]) => id);
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ count: arrivals.length, arrivals, recipients, withMessageId: messageIds.size, repeated }));
});

await new Promise<void>((resolve) => smtp.listen(Number(process.env.SINK_SMTP_PORT ?? 0), '127.0.0.1', resolve));
await new Promise<void>((resolve) => stats.listen(Number(process.env.SINK_HTTP_PORT ?? 0), '127.0.0.1', resolve));
console.log(JSON.stringify({ smtpPort: (smtp.server.address() as AddressInfo).port, httpPort: (stats.address() as AddressInfo).port }));

const stop = () => {
  stats.close();
  smtp.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
