// Conditional reads (API.md, "Reports, exports, conditional reads"): public GETs answer a strong
// ETag, If-None-Match with it answers 304 without a body, and a write changes the tag at once.
import { describe, expect, it } from 'vitest';
import { ifNoneMatchHits } from '../../src/plugins/etag.ts';
import { loginAs } from '../helpers/actors.ts';
import { useTestApp } from '../helpers/app.ts';
import { client } from '../helpers/http.ts';

const t = useTestApp();

describe('ETag on public reads', () => {
  it('a doctor profile: 304 for its tag, a new tag after the doctor edits the profile', async () => {
    const http = client(t.app);
    const doctor = await loginAs(t, 'doctor');
    const path = `doctor/profile/${doctor.user.email}`;

    const first = await http.get(path);
    expect(first.statusCode).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);

    const again = await http.get(path, { headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(etag);
    expect((await http.get(path, { headers: { 'if-none-match': `"other", W/${etag}` } })).statusCode).toBe(304);
    expect((await t.app.inject({ method: 'HEAD', url: `/v1/api/${path}/`, headers: { 'if-none-match': etag } })).statusCode).toBe(304);

    expect((await http.patch('doctor/profile/me', { bio: 'Now also on Saturdays.' }, { headers: doctor.headers })).statusCode).toBe(200);
    const changed = await http.get(path, { headers: { 'if-none-match': etag } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ bio: 'Now also on Saturdays.' });
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('the doctor list and the catalogues are tagged', async () => {
    const http = client(t.app);
    for (const path of ['doctor/list', 'doctor/specializations']) {
      const first = await http.get(path);
      expect(first.statusCode, path).toBe(200);
      expect((await http.get(path, { headers: { 'if-none-match': first.headers.etag as string } })).statusCode, path).toBe(304);
    }
  });

  it('private answers, errors, writes and the health probes carry no tag', async () => {
    const http = client(t.app);
    const patient = await loginAs(t, 'patient');
    const me = await http.get('user/me', { headers: patient.headers });
    expect(me.statusCode).toBe(200);
    expect(me.headers.etag).toBeUndefined();
    const missing = await http.get('doctor/profile/nobody@example.com');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers.etag).toBeUndefined();
    // The probes are public but not reads a client keeps: nothing to hash on every probe.
    for (const probe of ['/health/live', '/health/ready']) {
      const answer = await t.app.inject({ method: 'GET', url: probe });
      expect(answer.statusCode, probe).toBe(200);
      expect(answer.headers.etag, probe).toBeUndefined();
    }
  });
});

describe('If-None-Match', () => {
  it('matches a listed tag, a weak form of it and *; nothing else', () => {
    expect(ifNoneMatchHits('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits(' "b" , W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('*', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchHits('a', '"a"')).toBe(false);
    expect(ifNoneMatchHits(undefined, '"a"')).toBe(false);
  });
});
