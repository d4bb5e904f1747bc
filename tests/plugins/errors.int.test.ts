// The error answers of the whole app, through HTTP: how validation errors read.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.ts';
import { loginAs } from '../helpers/actors.ts';
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

describe('wrong methods', () => {
  it('answer 405 problem+json with Allow on paths that exist, with or without the slash, before any body is read', async () => {
    const { headers } = await loginAs(t, 'doctor');
    const id = crypto.randomUUID();
    const cases = [
      { method: 'POST', path: `appointment/doctor/${id}/update_status`, allow: 'PATCH' },
      { method: 'POST', path: 'patient/patients/me/avatar', allow: 'PUT' },
      { method: 'DELETE', path: 'user/login', allow: 'POST' },
      { method: 'PUT', path: 'user/me', allow: 'GET, HEAD, PATCH' },
    ] as const;
    for (const { method, path, allow } of cases) {
      for (const noSlash of [false, true]) {
        // A body that could not even be parsed: the method is answered first.
        const response = await t.app.inject({ method, url: apiUrl(path, noSlash), headers: { ...headers, 'content-type': 'application/json' }, payload: '{' });
        expectProblem(response, 405, 'method_not_allowed');
        expect(response.headers.allow, `${method} ${path}`).toBe(allow);
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      }
    }
  });

  it('leave unknown paths at 404, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const response = await t.app.inject({ method, url: apiUrl('user/nothing-here') });
      expectProblem(response, 404, 'not_found');
      expect(response.headers.allow).toBeUndefined();
    }
  });
});
