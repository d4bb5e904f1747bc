// Unit tests of the mail templates: every template renders, and HTML is escaped.
import { describe, expect, it } from 'vitest';
import { escapeHtml, noticeMail, type RenderedMail } from '../../src/lib/mail-templates.ts';
import { accountMails } from '../../src/modules/accounts/accounts.mails.ts';

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('leaves ordinary text alone', () => {
    expect(escapeHtml('Dr. Ann Lee — 09:30, Room 4')).toBe('Dr. Ann Lee — 09:30, Room 4');
  });
});

const rendered: Record<keyof typeof accountMails | 'notice', RenderedMail> = {
  activationOtp: accountMails.activationOtp({ code: '123456', minutes: 10 }),
  loginOtp: accountMails.loginOtp({ code: '234567', minutes: 10 }),
  passwordResetOtp: accountMails.passwordResetOtp({ code: '345678', minutes: 1 }),
  passwordChanged: accountMails.passwordChanged(),
  accountLocked: accountMails.accountLocked({ minutes: 15 }),
  twoStepChanged: accountMails.twoStepChanged({ enabled: false }),
  notice: noticeMail({ subject: 'Appointment confirmed', lines: ['Your appointment is confirmed.', 'See you soon.'] }),
};

describe('mail templates', () => {
  it.each(Object.entries(rendered))('%s renders a subject, a text and an HTML document', (_, mail) => {
    expect(mail.subject.length).toBeGreaterThan(3);
    expect(mail.subject).not.toMatch(/[\r\n]/);
    expect(mail.text.length).toBeGreaterThan(10);
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).toContain('</html>');
  });

  it.each([
    ['activationOtp', '123456'],
    ['loginOtp', '234567'],
    ['passwordResetOtp', '345678'],
  ] as const)('%s carries the code in text and HTML but not in the subject', (name, code) => {
    const mail = rendered[name];
    expect(mail.text).toContain(code);
    expect(mail.html).toContain(code);
    expect(mail.subject).not.toContain(code);
  });

  it('says how long a code is valid, in words that agree with the number', () => {
    expect(rendered.activationOtp.text).toContain('10 minutes');
    expect(rendered.passwordResetOtp.text).toContain('1 minute ');
    expect(rendered.accountLocked.text).toContain('15 minutes');
  });

  it('escapes what callers put into a notice, and keeps the text as written', () => {
    const mail = noticeMail({
      subject: 'Message from <script>alert(1)</script>\r\nBcc: victim@example.com',
      lines: ['Patient: Tom & "Jerry" <tom@example.com>', "It's <b>urgent</b>"],
    });
    expect(mail.subject).toBe('Message from <script>alert(1)</script> Bcc: victim@example.com');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<b>urgent');
    expect(mail.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(mail.html).toContain('<p>Patient: Tom &amp; &quot;Jerry&quot; &lt;tom@example.com&gt;</p>');
    expect(mail.html).toContain('<p>It&#39;s &lt;b&gt;urgent&lt;/b&gt;</p>');
    expect(mail.text).toContain('Patient: Tom & "Jerry" <tom@example.com>\n\nIt\'s <b>urgent</b>');
  });
});
