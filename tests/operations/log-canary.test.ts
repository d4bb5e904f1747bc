// The log canary of tests/helpers/app.ts (every test app checks its captured logs on close):
// it recognises each kind of secret and lets ordinary log lines through.
import { describe, expect, it } from 'vitest';
import { secretsInLogs } from '../helpers/app.ts';

const line = (fields: Record<string, unknown>) => JSON.stringify({ level: 30, time: 1, pid: 1, hostname: 'h', ...fields });

describe('log canary', () => {
  it('finds passwords, hashes, tokens and codes', () => {
    const leaks = [
      line({ msg: 'x', hash: '$argon2id$v=19$m=19456,t=2,p=1$abc$def' }),
      line({ msg: 'x', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U' }),
      line({ req: { headers: { authorization: 'Bearer abcdefghijkl' } } }),
      line({ msg: 'login', body: { email: 'a@b.c', password: 'Pw-1234abcd-ffff' } }),
      line({ req: { body: { otp: '123456' } } }),
      line({ msg: 'mail', text: 'Hello, here is your code to activate your account:\n\n  482913\n' }),
      line({ msg: 'sms', body: 'Clinic phone verification code: 482913. Valid for 10 minutes. Never share it.' }),
      line({ msg: 'refresh', value: 'q3J9xK2mN8vL5pR7tY1wZ4aB6cD0eF-_gH2iJ3kL4mN' }),
    ];
    for (const leak of leaks) expect(secretsInLogs([leak]), leak).not.toEqual([]);
  });

  it('lets ordinary lines through', () => {
    const fine = [
      line({ reqId: '0193d0f2-7b1c-7cc4-9a8e-3f1b2c4d5e6f', req: { method: 'POST', url: '/v1/api/user/login/', headers: { authorization: '[Redacted]' } } }),
      line({ req: { body: { password: '[Redacted]', otp: '[Redacted]' } } }),
      line({ msg: 'request completed', res: { statusCode: 201 }, responseTime: 12.345 }),
      line({ msg: 'mail delivered', jobId: '0193d0f2-7b1c-7cc4-9a8e-3f1b2c4d5e6f' }),
      line({ msg: 'sms delivered', jobId: '0193d0f2-7b1c-7cc4-9a8e-3f1b2c4d5e6f', attempt: 2, provider: 'http' }),
      line({ err: { message: 'terminating connection due to administrator command', code: 'P2010' } }),
      line({ sha: 'a'.repeat(64), etag: 'W/"1f-abc"' }),
    ];
    expect(secretsInLogs(fine)).toEqual([]);
  });
});
