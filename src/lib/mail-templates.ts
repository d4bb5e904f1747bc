// Rendering of the e-mails the clinic sends: subject, plain text and escaped HTML. Each module
// keeps its own templates (`<domain>.mails.ts`) and builds them with renderMail.

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export const APP_NAME = 'Clinic';
const SIGNATURE = `— The ${APP_NAME} team`;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

// A paragraph is a plain string, escaped here, or a code shown large so it is easy to copy.
export type MailBlock = string | { code: string };

export function renderMail(subject: string, blocks: MailBlock[]): RenderedMail {
  // Subjects go into a header: a line break there must never reach the SMTP client.
  const cleanSubject = subject.replace(/\s+/g, ' ').trim();
  const text = [...blocks.map((block) => (typeof block === 'string' ? block : block.code)), SIGNATURE].join('\n\n');
  const paragraphs = blocks.map((block) =>
    typeof block === 'string'
      ? `<p>${escapeHtml(block)}</p>`
      : `<p style="font-size:24px;font-weight:bold;letter-spacing:4px">${escapeHtml(block.code)}</p>`,
  );
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(cleanSubject)}</title></head>`,
    '<body style="font-family:Arial,Helvetica,sans-serif;line-height:1.5;color:#222">',
    ...paragraphs,
    `<p>${escapeHtml(SIGNATURE)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: cleanSubject, text, html };
}

export const minutesText = (minutes: number) => `${minutes} minute${minutes === 1 ? '' : 's'}`;

/** Free-form notices (appointments, staff notifications): each line becomes a paragraph. */
export const noticeMail = ({ subject, lines }: { subject: string; lines: string[] }) => renderMail(subject, lines);
