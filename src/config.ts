// The application's configuration: one zod schema over the environment. Only this file reads
// environment variable names; loadConfig is pure so tests can build any configuration.
import { z } from 'zod';

const DURATION_UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses `30s`, `5m`, `12h`, `7d` (or a bare number of seconds) into seconds. */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] || 's') as keyof typeof DURATION_UNITS;
  const seconds = Number(match[1]) * DURATION_UNITS[unit];
  return seconds > 0 ? seconds : undefined;
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const seconds = parseDurationSeconds(text);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s, 5m, 12h or 7d' });
        return z.NEVER;
      }
      return seconds;
    });

const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'True', 'False'])
    .optional()
    .transform((value) => (value === undefined ? fallback : ['true', '1', 'yes', 'on', 'True'].includes(value)));

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgresql:' || url.protocol === 'postgres:') && url.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be a postgresql:// URL with a host');

// IANA names only (and UTC): PostgreSQL reads an offset such as `+01:00` with the POSIX sign, the reverse of ISO 8601.
const TIME_ZONES = new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);

const environmentFields = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DEBUG: booleanFlag(false),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    // Signs tokens and derives the OTP and job-payload keys: never short, whatever the mode.
    SECRET_KEY: z.string().min(32, 'must be at least 32 characters'),
    DATABASE_URL: postgresUrl,
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
    MIGRATE_ON_START: booleanFlag(false),
    MEDIA_ROOT: z.string().trim().min(1).default('media'),
    EMAIL_HOST: optionalText,
    EMAIL_PORT: z.coerce.number().int().min(1).max(65_535).default(587),
    EMAIL_HOST_USER: optionalText,
    EMAIL_HOST_PASSWORD: optionalText,
    EMAIL_USE_TLS: booleanFlag(false),
    EMAIL_FROM: z.string().trim().min(3).default('Clinic API <no-reply@clinic.local>'),
    JWT_ACCESS_LIFETIME: duration('5m'),
    JWT_REFRESH_LIFETIME: duration('7d'),
    OTP_LIFETIME: duration('10m'),
    SLOT_HOLD_TTL: duration('5m'),
    WAITLIST_OFFER_TTL: duration('15m'),
    // The zone whose days the appointment reports and CSV exports count in.
    REPORT_TIMEZONE: z
      .string()
      .trim()
      .default('UTC')
      .refine((zone) => TIME_ZONES.has(zone), 'must be an IANA time zone such as Europe/Paris or UTC'),
    JWT_SESSION_MAX_LIFETIME: duration('30d'),
    REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
    // The read cache of public hot reads (lib/cache.ts): in Redis with REDIS_URL, else in memory.
    CACHE_ENABLED: booleanFlag(true),
    CACHE_TTL: duration('60s'),
    S3_BUCKET: optionalText,
    S3_ENDPOINT: optionalText.pipe(z.url().optional()),
    S3_REGION: z.string().trim().min(1).default('us-east-1'),
    S3_ACCESS_KEY_ID: optionalText,
    S3_SECRET_ACCESS_KEY: optionalText,
    CORS_ORIGINS: z
      .string()
      .optional()
      .transform((value) => (value ?? '').split(',').map((origin) => origin.trim()).filter(Boolean)),
    RATE_LIMIT_ENABLED: booleanFlag(true),
    METRICS_TOKEN: optionalText,
    // Serves the API's GET /metrics on this (internal) port instead of the public one.
    METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    // Overload protection (0 turns a limit off): 503 with Retry-After past any of them.
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
    OVERLOAD_MAX_HEAP_USED_MB: z.coerce.number().int().min(0).optional(),
    OVERLOAD_MAX_EVENT_LOOP_UTILIZATION: z.coerce.number().min(0).max(1).default(0),
    HTTP_REQUEST_TIMEOUT: duration('60s'),
    HTTP_CONNECTION_TIMEOUT: duration('60s'),
    HTTP_KEEP_ALIVE_TIMEOUT: duration('72s'),
    // The stand-alone worker serves GET /metrics on this port when set.
    WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    WORKER_ENABLED: booleanFlag(true),
    // SMS: console (printed; the default in embedded mode and development), twilio or http.
    SMS_PROVIDER: z.enum(['console', 'twilio', 'http']).optional(),
    TWILIO_ACCOUNT_SID: optionalText,
    TWILIO_AUTH_TOKEN: optionalText,
    TWILIO_FROM: optionalText,
    TWILIO_API_URL: z.string().trim().pipe(z.url({ protocol: /^https?$/ })).default('https://api.twilio.com'),
    SMS_HTTP_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    SMS_HTTP_SECRET: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    // Lets webhook endpoints be plain http:// and resolve to private, loopback or link-local addresses.
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: booleanFlag(false),
    PUBLIC_URL: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
    // Roles that must sign in with a second step (e-mail code unless they use an authenticator app).
    MFA_REQUIRED_ROLES: z
      .string()
      .optional()
      .transform((value) => (value ?? '').split(',').map((role) => role.trim()).filter(Boolean))
      .pipe(z.array(z.enum(['patient', 'doctor', 'admin'], { message: 'must list roles among patient, doctor, admin' }))),
    TRUST_PROXY: z
      .string()
      .trim()
      .optional()
      .transform((value): boolean | number | string[] => {
        if (!value || value === 'false') return false;
        if (value === 'true') return true;
        if (/^\d+$/.test(value)) return Number(value);
        return value.split(',').map((entry) => entry.trim()).filter(Boolean);
      }),
  });

const environmentSchema = environmentFields
  .superRefine((env, ctx) => {
    // Without SMTP, mail (OTP codes included) goes to the log: acceptable on a laptop only.
    if (env.NODE_ENV === 'production' && !env.EMAIL_HOST) {
      ctx.addIssue({ code: 'custom', path: ['EMAIL_HOST'], message: 'is required in production' });
    }
    // Links in mails and pages must not be built from a Host header an attacker chose.
    if (env.NODE_ENV === 'production' && !env.PUBLIC_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'is required in production' });
    }
    // An open /metrics on the public port tells outsiders what happens inside (its mail counter
    // rises after a password reset for a real account only).
    if (env.NODE_ENV === 'production' && !env.METRICS_TOKEN && env.METRICS_PORT === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['METRICS_TOKEN'],
        message: 'is required in production, unless METRICS_PORT serves /metrics on an internal port',
      });
    }
    // Printed SMS (login and phone codes among them) belong on a developer's console only.
    if (env.NODE_ENV === 'production' && env.SMS_PROVIDER === 'console') {
      ctx.addIssue({ code: 'custom', path: ['SMS_PROVIDER'], message: 'must not be console in production' });
    }
    const smsRequired = { twilio: ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'], http: ['SMS_HTTP_URL', 'SMS_HTTP_SECRET'], console: [] } as const;
    for (const variable of env.SMS_PROVIDER ? smsRequired[env.SMS_PROVIDER] : []) {
      if (!env[variable]) ctx.addIssue({ code: 'custom', path: [variable], message: `is required with SMS_PROVIDER=${env.SMS_PROVIDER}` });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_PORT'], message: 'must differ from PORT' });
    }
  });

export type Environment = Record<string, string | undefined>;

export interface Config {
  env: 'development' | 'production' | 'test';
  /** Started on the embedded database by `npm start` with no DATABASE_URL: for trying the API only. */
  embedded: boolean;
  debug: boolean;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  secretKey: string;
  database: { url: string; poolSize: number; migrateOnStart: boolean };
  mediaRoot: string;
  email: {
    host: string | undefined;
    port: number;
    user: string | undefined;
    password: string | undefined;
    useTls: boolean;
    from: string;
  };
  lifetimes: { accessSeconds: number; refreshSeconds: number; otpSeconds: number; sessionMaxSeconds: number; slotHoldSeconds: number; waitlistOfferSeconds: number };
  redisUrl: string | undefined;
  /**
   * The read cache of public hot reads: `ttlSeconds` bounds how long an answer is kept (writes
   * invalidate it at once; the TTL only limits memory and a failed invalidation's reach).
   */
  cache: { enabled: boolean; ttlSeconds: number };
  s3: {
    bucket: string | undefined;
    endpoint: string | undefined;
    region: string;
    accessKeyId: string | undefined;
    secretAccessKey: string | undefined;
  };
  corsOrigins: string[];
  rateLimitEnabled: boolean;
  metricsToken: string | undefined;
  /** When set, the API serves GET /metrics on this port (on HOST) only, not on the public one. */
  metricsPort: number | undefined;
  /**
   * Overload limits (0 = off). `maxHeapUsedMb` undefined means 90% of V8's heap limit;
   * `maxEventLoopUtilization` is a fraction (0..1).
   */
  overload: { maxEventLoopDelayMs: number; maxHeapUsedMb: number | undefined; maxEventLoopUtilization: number };
  /** HTTP server timeouts in seconds: whole request received, idle socket, idle keep-alive connection. */
  timeouts: { requestSeconds: number; connectionSeconds: number; keepAliveSeconds: number };
  workerEnabled: boolean;
  /** Port of the stand-alone worker's GET /metrics (on HOST); off when undefined. */
  workerMetricsPort: number | undefined;
  /**
   * The SMS provider; undefined (production without SMS_PROVIDER): messages wait in the queue
   * until one is configured. The provider's settings are present when it is chosen.
   */
  sms: {
    provider: 'console' | 'twilio' | 'http' | undefined;
    twilio: { accountSid: string | undefined; authToken: string | undefined; from: string | undefined; apiUrl: string };
    http: { url: string | undefined; secret: string | undefined };
  };
  /** Webhook targets may be http:// and private addresses (tests, intranets); otherwise https:// to public addresses only. */
  webhooks: { allowPrivateNetworks: boolean };
  /** Base URL of links the API hands out (`next`/`previous`); taken from the request when unset. */
  publicUrl: string | undefined;
  /** Roles whose members must sign in with a second step (MFA_REQUIRED_ROLES). */
  mfaRequiredRoles: readonly ('patient' | 'doctor' | 'admin')[];
  /** Fastify's trustProxy: whether (or which) proxies' X-Forwarded-* headers give the client IP and protocol. */
  trustProxy: boolean | number | string[];
  /** The IANA zone whose days reports and exports count in (REPORT_TIMEZONE). */
  reportTimezone: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `source` parsed by `schema`; throws ConfigError naming the first bad variable. */
function parseEnvironment<T>(schema: z.ZodType<T>, source: Environment): T {
  const result = schema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const message = issue.code === 'invalid_type' && source[variable] === undefined ? 'is required' : issue.message;
    throw new ConfigError(`Invalid configuration: ${variable} ${message}`);
  }
  return result.data;
}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(source: Environment, options: { embedded?: boolean } = {}): Config {
  const env = parseEnvironment(environmentSchema, source);
  return {
    env: env.NODE_ENV,
    embedded: options.embedded ?? false,
    debug: env.DEBUG,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    secretKey: env.SECRET_KEY,
    database: { url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE, migrateOnStart: env.MIGRATE_ON_START },
    mediaRoot: env.MEDIA_ROOT,
    email: {
      host: env.EMAIL_HOST,
      port: env.EMAIL_PORT,
      user: env.EMAIL_HOST_USER,
      password: env.EMAIL_HOST_PASSWORD,
      useTls: env.EMAIL_USE_TLS,
      from: env.EMAIL_FROM,
    },
    lifetimes: {
      accessSeconds: env.JWT_ACCESS_LIFETIME,
      refreshSeconds: env.JWT_REFRESH_LIFETIME,
      otpSeconds: env.OTP_LIFETIME,
      sessionMaxSeconds: env.JWT_SESSION_MAX_LIFETIME,
      slotHoldSeconds: env.SLOT_HOLD_TTL,
      waitlistOfferSeconds: env.WAITLIST_OFFER_TTL,
    },
    redisUrl: env.REDIS_URL,
    cache: { enabled: env.CACHE_ENABLED, ttlSeconds: env.CACHE_TTL },
    s3: {
      bucket: env.S3_BUCKET,
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    },
    corsOrigins: env.CORS_ORIGINS,
    rateLimitEnabled: env.RATE_LIMIT_ENABLED,
    metricsToken: env.METRICS_TOKEN,
    metricsPort: env.METRICS_PORT,
    overload: {
      maxEventLoopDelayMs: env.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedMb: env.OVERLOAD_MAX_HEAP_USED_MB,
      maxEventLoopUtilization: env.OVERLOAD_MAX_EVENT_LOOP_UTILIZATION,
    },
    timeouts: {
      requestSeconds: env.HTTP_REQUEST_TIMEOUT,
      connectionSeconds: env.HTTP_CONNECTION_TIMEOUT,
      keepAliveSeconds: env.HTTP_KEEP_ALIVE_TIMEOUT,
    },
    workerEnabled: env.WORKER_ENABLED,
    workerMetricsPort: env.WORKER_METRICS_PORT,
    sms: {
      provider: env.SMS_PROVIDER ?? (options.embedded || env.NODE_ENV === 'development' ? 'console' : undefined),
      twilio: { accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, from: env.TWILIO_FROM, apiUrl: env.TWILIO_API_URL.replace(/\/+$/, '') },
      http: { url: env.SMS_HTTP_URL, secret: env.SMS_HTTP_SECRET },
    },
    webhooks: { allowPrivateNetworks: env.WEBHOOK_ALLOW_PRIVATE_NETWORKS },
    publicUrl: env.PUBLIC_URL,
    trustProxy: env.TRUST_PROXY,
    mfaRequiredRoles: env.MFA_REQUIRED_ROLES,
    reportTimezone: env.REPORT_TIMEZONE,
  };
}

/**
 * The read cache's settings alone, for a command-line script that changes what cached answers
 * show (scripts/create-admin.ts) and need not have the server's other settings (SECRET_KEY...).
 */
export function loadCacheConfig(source: Environment): Pick<Config, 'redisUrl' | 'cache'> {
  const env = parseEnvironment(environmentFields.pick({ REDIS_URL: true, CACHE_ENABLED: true, CACHE_TTL: true }), source);
  return { redisUrl: env.REDIS_URL, cache: { enabled: env.CACHE_ENABLED, ttlSeconds: env.CACHE_TTL } };
}
