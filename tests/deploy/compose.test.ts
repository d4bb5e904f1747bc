// docker-compose.yml: no default secrets, and the mail catcher (which shows every code) on loopback only.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const compose = parse(text) as { services: Record<string, { ports?: string[] }> };

describe('docker-compose.yml', () => {
  it('has no default database password or secret key: compose refuses to start without them', () => {
    expect(text).not.toMatch(/POSTGRES_PASSWORD:-/);
    expect(text).not.toMatch(/SECRET_KEY:-/);
    expect(text).toContain('${POSTGRES_PASSWORD:?');
    expect(text).toContain('${SECRET_KEY:?');
  });

  it('publishes Mailpit on 127.0.0.1 only', () => {
    const ports = compose.services.mail?.ports ?? [];
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });
});
