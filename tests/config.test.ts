// loadConfig: defaults, parsing, and one clear message naming the bad variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationSeconds } from '../src/config.ts';

const base = { SECRET_KEY: 'k'.repeat(40), DATABASE_URL: 'postgresql://app@db.internal:5432/clinic' };
/** What production needs beyond `base`. */
const PRODUCTION = { NODE_ENV: 'production', EMAIL_HOST: 'smtp.example', PUBLIC_URL: 'https://clinic.example', METRICS_TOKEN: 'scrape-token' };

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('reads the read cache settings: CACHE_ENABLED a flag, CACHE_TTL a duration; anything else names the variable', () => {
    expect(loadConfig({ ...base, CACHE_ENABLED: 'false', CACHE_TTL: '5m' }).cache).toEqual({ enabled: false, ttlSeconds: 300 });
    expect(loadConfig({ ...base, CACHE_TTL: '90' }).cache.ttlSeconds).toBe(90);
    expect(errorOf({ ...base, CACHE_TTL: 'soon' })).toMatch(/^Invalid configuration: CACHE_TTL /);
    expect(errorOf({ ...base, CACHE_TTL: '0' })).toMatch(/^Invalid configuration: CACHE_TTL /);
    expect(errorOf({ ...base, CACHE_ENABLED: 'maybe' })).toMatch(/^Invalid configuration: CACHE_ENABLED /);
  });

  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(3000);
    expect(config.lifetimes).toEqual({ accessSeconds: 300, refreshSeconds: 7 * 86_400, otpSeconds: 600, sessionMaxSeconds: 30 * 86_400, slotHoldSeconds: 300, waitlistOfferSeconds: 900 });
    expect(config.embedded).toBe(false);
    expect(config.rateLimitEnabled).toBe(true);
    expect(config.corsOrigins).toEqual([]);
    expect(config.email.host).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.reportTimezone).toBe('UTC');
    expect(config.cache).toEqual({ enabled: true, ttlSeconds: 60 });
    // SMS: printed in development (the default NODE_ENV), no provider elsewhere unless embedded.
    expect(config.sms).toEqual({
      provider: 'console',
      twilio: { accountSid: undefined, authToken: undefined, from: undefined, apiUrl: 'https://api.twilio.com' },
      http: { url: undefined, secret: undefined },
    });
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).sms.provider).toBeUndefined();
    expect(loadConfig({ ...base, NODE_ENV: 'test' }, { embedded: true }).sms.provider).toBe('console');
    expect(loadConfig({ ...base, ...PRODUCTION }).sms.provider).toBeUndefined();
  });

  it('reads the SMS providers’ settings and requires those of the chosen one', () => {
    const twilio = { SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'token', TWILIO_FROM: '+15550000000', TWILIO_API_URL: 'http://127.0.0.1:9/' };
    expect(loadConfig({ ...base, ...twilio }).sms).toMatchObject({ provider: 'twilio', twilio: { accountSid: 'AC1', authToken: 'token', from: '+15550000000', apiUrl: 'http://127.0.0.1:9' } });
    const { TWILIO_FROM: _from, ...withoutFrom } = twilio;
    expect(errorOf({ ...base, ...withoutFrom })).toBe('Invalid configuration: TWILIO_FROM is required with SMS_PROVIDER=twilio');
    const http = { SMS_PROVIDER: 'http', SMS_HTTP_URL: 'https://sms.clinic.example/send', SMS_HTTP_SECRET: 's'.repeat(32) };
    expect(loadConfig({ ...base, ...http }).sms).toMatchObject({ provider: 'http', http: { url: 'https://sms.clinic.example/send', secret: 's'.repeat(32) } });
    expect(errorOf({ ...base, SMS_PROVIDER: 'http', SMS_HTTP_URL: 'https://sms.clinic.example/send' })).toBe(
      'Invalid configuration: SMS_HTTP_SECRET is required with SMS_PROVIDER=http',
    );
    expect(errorOf({ ...base, ...http, SMS_HTTP_SECRET: 'short' })).toContain('SMS_HTTP_SECRET');
    expect(errorOf({ ...base, ...http, SMS_HTTP_URL: 'ftp://sms' })).toContain('SMS_HTTP_URL');
    expect(errorOf({ ...base, SMS_PROVIDER: 'pigeon' })).toContain('SMS_PROVIDER');
    expect(errorOf({ ...base, ...PRODUCTION, SMS_PROVIDER: 'console' })).toBe('Invalid configuration: SMS_PROVIDER must not be console in production');
  });

  it('parses lists, flags and durations', () => {
    const config = loadConfig({
      ...base,
      CORS_ORIGINS: 'https://a.example, https://b.example',
      RATE_LIMIT_ENABLED: 'false',
      JWT_ACCESS_LIFETIME: '15m',
      OTP_LIFETIME: '90s',
      EMAIL_USE_TLS: 'true',
      PORT: '8080',
    });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.rateLimitEnabled).toBe(false);
    expect(config.lifetimes.accessSeconds).toBe(900);
    expect(config.lifetimes.otpSeconds).toBe(90);
    expect(config.email.useTls).toBe(true);
    expect(config.port).toBe(8080);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://db/clinic' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ JWT_ACCESS_LIFETIME: 'soon' }, 'JWT_ACCESS_LIFETIME'],
    [{ RATE_LIMIT_ENABLED: 'maybe' }, 'RATE_LIMIT_ENABLED'],
    [{ REDIS_URL: 'http://cache' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ REPORT_TIMEZONE: 'Mars/Olympus' }, 'REPORT_TIMEZONE'],
    // An offset is no IANA zone: PostgreSQL would read its sign the other way round.
    [{ REPORT_TIMEZONE: '+01:00' }, 'REPORT_TIMEZONE'],
  ])('rejects %o naming %s', (override, variable) => {
    const message = errorOf({ ...base, ...override });
    expect(message).toContain(variable);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('requires SMTP in production, where mail must never go to the log', () => {
    expect(errorOf({ ...base, NODE_ENV: 'production', PUBLIC_URL: 'https://clinic.example' })).toBe(
      'Invalid configuration: EMAIL_HOST is required in production',
    );
    expect(loadConfig({ ...base, ...PRODUCTION }).email.host).toBe('smtp.example');
  });

  it('requires PUBLIC_URL in production, so links never come from the Host header', () => {
    expect(errorOf({ ...base, NODE_ENV: 'production', EMAIL_HOST: 'smtp.example' })).toBe(
      'Invalid configuration: PUBLIC_URL is required in production',
    );
  });

  it('refuses production with /metrics open on the public port: METRICS_TOKEN, or METRICS_PORT to move it', () => {
    const { METRICS_TOKEN: _token, ...withoutToken } = PRODUCTION;
    expect(errorOf({ ...base, ...withoutToken })).toBe(
      'Invalid configuration: METRICS_TOKEN is required in production, unless METRICS_PORT serves /metrics on an internal port',
    );
    expect(loadConfig({ ...base, ...PRODUCTION })).toMatchObject({ metricsToken: 'scrape-token', metricsPort: undefined });
    expect(loadConfig({ ...base, ...withoutToken, METRICS_PORT: '9464' })).toMatchObject({ metricsToken: undefined, metricsPort: 9464 });
    // Elsewhere /metrics may stay open (a laptop, CI).
    expect(loadConfig(base)).toMatchObject({ metricsToken: undefined, metricsPort: undefined });
  });

  it.each([
    [{ METRICS_PORT: '3000' }, 'Invalid configuration: METRICS_PORT must differ from PORT'],
    [{ METRICS_PORT: '70000' }, 'METRICS_PORT'],
    [{ METRICS_PORT: 'internal' }, 'METRICS_PORT'],
  ])('rejects %o', (override, message) => {
    expect(errorOf({ ...base, ...override })).toContain(message);
  });

  it('reads REPORT_TIMEZONE as an IANA zone', () => {
    expect(loadConfig({ ...base, REPORT_TIMEZONE: 'America/New_York' }).reportTimezone).toBe('America/New_York');
  });

  it('reads JWT_SESSION_MAX_LIFETIME', () => {
    expect(loadConfig({ ...base, JWT_SESSION_MAX_LIFETIME: '12h' }).lifetimes.sessionMaxSeconds).toBe(43_200);
  });

  it('requires SECRET_KEY and DATABASE_URL', () => {
    expect(errorOf({ DATABASE_URL: base.DATABASE_URL })).toBe('Invalid configuration: SECRET_KEY is required');
    expect(errorOf({ SECRET_KEY: base.SECRET_KEY })).toContain('DATABASE_URL');
  });

  it.each(['development', 'test', 'production'])('demands a SECRET_KEY of at least 32 characters with NODE_ENV=%s', (mode) => {
    const production = { EMAIL_HOST: 'smtp.example', PUBLIC_URL: 'https://clinic.example', METRICS_TOKEN: 'scrape-token' };
    expect(errorOf({ ...base, ...production, NODE_ENV: mode, SECRET_KEY: 'k' })).toBe('Invalid configuration: SECRET_KEY must be at least 32 characters');
    expect(errorOf({ DATABASE_URL: base.DATABASE_URL, NODE_ENV: mode, SECRET_KEY: 'k'.repeat(31) })).toContain('SECRET_KEY');
    expect(loadConfig({ ...base, ...production, NODE_ENV: mode, SECRET_KEY: 'k'.repeat(32) }).secretKey).toHaveLength(32);
  });
});

describe('TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
  ])('%s → %o', (value, expected) => {
    expect(loadConfig({ ...base, ...(value === undefined ? {} : { TRUST_PROXY: value }) }).trustProxy).toEqual(expected);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['45', 45],
    ['30s', 30],
    ['5m', 300],
    ['12h', 43_200],
    ['7d', 604_800],
  ])('%s → %d', (text, seconds) => expect(parseDurationSeconds(text)).toBe(seconds));

  it.each(['', '0', '-5m', '5 weeks', '1.5h'])('rejects %j', (text) => expect(parseDurationSeconds(text)).toBeUndefined());
});
