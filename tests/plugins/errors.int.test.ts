// The error answers of the whole app, through HTTP: how validation errors read.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { loginAs } from '../helpers/factories.ts';
import { apiUrl, expectProblem } from '../helpers/http.ts';

const t = useTestApp();

describe('validation messages', () => {
  it('a missing field says "Required" and names its path; a wrong type still says what was expected', async () => {
    const missing = await t.app.inject({ method: 'POST', url: apiUrl('user/login'), payload: {} });
    expect(expectProblem(missing, 400, 'validation_failed').errors).toEqual([
      { path: 'email', message: 'Required' },
      { path: 'password', message: 'Required' },
    ]);
    const wrongType = await t.app.inject({ method: 'POST', url: apiUrl('user/login'), payload: { email: 5, password: null } });
    const messages = expectProblem(wrongType, 400, 'validation_failed').errors!;
    expect(messages.map((error) => error.path)).toEqual(['email', 'password']);
    for (const error of messages) expect(error.message).toMatch(/expected string, received (number|null)/);
  });

  it('says "Required" for a missing query parameter too', async () => {
    const { headers } = await loginAs(t, 'patient');
    const response = await t.app.inject({ url: apiUrl(`doctor/available-times-patient?doctorId=${crypto.randomUUID()}`), headers });
    expect(expectProblem(response, 400, 'validation_failed').errors).toEqual([
      { path: 'query.from', message: 'Required' },
      { path: 'query.to', message: 'Required' },
    ]);
  });
});
