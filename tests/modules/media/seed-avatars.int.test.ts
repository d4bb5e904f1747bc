// Demo avatars: every demo doctor gets a generated PNG that file-type recognises, served publicly and shown in the doctor list.
import { fileTypeFromBuffer } from 'file-type';
import { expect, it } from 'vitest';
import { avatarPng, seedDemoAvatars } from '../../../prisma/seed-avatars.ts';
import { seedDemoData } from '../../../prisma/seed.ts';
import { createLocalStorage } from '../../../src/lib/storage.ts';
import { useTestApp } from '../../helpers/app.ts';
import { API } from '../../helpers/http.ts';

const t = useTestApp({
  prepare: async ({ db, mediaRoot }) => {
    await seedDemoData(db);
    expect(await seedDemoAvatars(db, createLocalStorage({ root: mediaRoot }))).toBeGreaterThan(0);
    // A second run finds nothing left to do.
    expect(await seedDemoAvatars(db, createLocalStorage({ root: mediaRoot }))).toBe(0);
  },
});

it('generates a real PNG', async () => {
  expect(await fileTypeFromBuffer(avatarPng('someone@example.com'))).toMatchObject({ mime: 'image/png' });
});

it('lists the demo doctors with avatars that are served as PNG', async () => {
  const page = (await t.app.inject({ method: 'GET', url: `${API}/doctor/list/` })).json<{ results: { avatarUrl: string | null; fee: string; specializations: unknown[] }[] }>();
  expect(page.results.length).toBeGreaterThan(0);
  for (const doctor of page.results) {
    expect(doctor.avatarUrl).not.toBeNull();
    expect(doctor.specializations.length).toBeGreaterThan(0);
    const file = await t.app.inject({ method: 'GET', url: new URL(doctor.avatarUrl!, 'http://x').pathname });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
  }
});
