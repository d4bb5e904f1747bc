// The phone given at registration is on the patient profile that activation creates (issue 21
// item 7): the account.activated event carries it to patients.createProfile.
import { expect, it } from 'vitest';
import { login, bearer, randomEmail, randomPassword } from '../../helpers/actors.ts';
import { registerAndActivate } from '../../helpers/accounts.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API } from '../../helpers/http.ts';

const t = useTestApp();

it('registration with a phone → after activation the patient profile answers that phone', async () => {
  const account = await registerAndActivate(t, randomEmail('phone'), randomPassword(), { phone: '+15557654321' });
  const tokens = await login(t.app, account);
  const me = await t.app.inject({ url: `${API}/patient/patients/me/`, headers: bearer(tokens) });
  expect(me.statusCode).toBe(200);
  expect(me.json()).toMatchObject({ phone: '+15557654321', user: { id: account.id, email: account.email } });
});

it('registration without a phone → the profile phone is null', async () => {
  const account = await registerAndActivate(t);
  const me = await t.app.inject({ url: `${API}/patient/patients/me/`, headers: bearer(await login(t.app, account)) });
  expect(me.json()).toMatchObject({ phone: null, user: { id: account.id } });
});
