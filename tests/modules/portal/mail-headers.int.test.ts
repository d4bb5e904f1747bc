// Contact-us mail through a real SMTP server: whatever the sender writes, the envelope and the headers hold only the
// admins' addresses and one subject line; the body is escaped HTML.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createUser } from '../../helpers/actors.ts';
import { useSmtpTestApp } from '../../helpers/smtp-app.ts';
import { drainJobs } from '../../helpers/wait.ts';

const t = useSmtpTestApp();

it('CR, LF and Unicode line breaks in any field never add a header or a recipient', async () => {
  const admins = [await createUser(t.db, { role: 'admin' }), await createUser(t.db, { role: 'admin' })];
  await createUser(t.db, { role: 'admin', isActive: false });
  const marker = randomUUID();
  const hostile = 'x\r\nBcc: evil@attacker.example\r\nX-Injected: yes';
  // Single-line fields refuse control characters outright.
  for (const field of ['name', 'email', 'subject', 'phone']) {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/api/public-portal/contact-us/',
      payload: { name: 'Eve', email: 'eve@example.com', subject: 'S', message: 'M', [field]: hostile },
    });
    expect(response.statusCode).toBe(400);
  }
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/api/public-portal/contact-us/',
    payload: {
      name: 'Eve\u2028Bcc: evil@attacker.example',
      email: 'eve@example.com',
      subject: 'Hello\u2028Bcc: evil@attacker.example\u0085X-Injected: yes',
      message: `${hostile}\r\n\r\n<img src=x onerror=alert(1)> ${marker}`,
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  const received = await Promise.all(admins.map((admin) => t.smtp.waitFor((mail) => mail.to.includes(admin.email) && mail.text.includes(marker), 15_000)));
  await drainJobs(t);
  const all = t.smtp.messages.filter((mail) => mail.text.includes(marker));
  // One message per active admin, each to that admin alone.
  const active = await t.db.user.findMany({ where: { role: 'admin', isActive: true, deletedAt: null }, select: { email: true } });
  expect(all.map((mail) => mail.to).sort()).toEqual(active.map((admin) => [admin.email]).sort());
  for (const [index, mail] of received.entries()) {
    expect(mail.to).toEqual([admins[index]!.email]);
    const head = mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/));
    expect(head).not.toMatch(/^(bcc|cc|x-injected):/im);
    // The hostile text may only ever sit inside the one Subject header (folded continuation lines unfolded).
    const headers = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
    expect(headers.filter((line) => /attacker|x-injected/i.test(line) && !/^subject:/i.test(line))).toEqual([]);
    expect(head.match(/^subject:/gim)).toHaveLength(1);
    expect(head.match(/^to:/gim)).toHaveLength(1);
    expect(mail.subject).not.toMatch(/[\r\n\u2028\u2029]/);
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  }
  expect(t.smtp.messages.some((mail) => mail.to.some((to) => to.includes('attacker')))).toBe(false);
});
