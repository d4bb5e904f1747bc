// docker-compose.yml: no default secrets, the mail catcher (which shows every code) on loopback
// only, and /metrics on an internal port that is not published.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.ts';

const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, { ports?: string[]; environment?: Record<string, string> }> };

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

  it('serves the API’s /metrics on METRICS_PORT, published nowhere, so production starts without METRICS_TOKEN', () => {
    const api = compose.services.api!;
    const env = api.environment ?? {};
    expect(env.METRICS_PORT).toBeDefined();
    expect(env.METRICS_TOKEN).toBeUndefined();
    for (const port of api.ports ?? []) expect(port).not.toContain(env.METRICS_PORT);
    // The api's environment with the secrets compose substitutes.
    const resolved = Object.fromEntries(
      Object.entries(env).map(([name, value]) => [name, String(value).replace(/\$\{[A-Z_]+:\?[^}]*\}/g, 'k'.repeat(48))]),
    );
    expect(loadConfig(resolved)).toMatchObject({ env: 'production', metricsPort: Number(env.METRICS_PORT), metricsToken: undefined });
  });
});
