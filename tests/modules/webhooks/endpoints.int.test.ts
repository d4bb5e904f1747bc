// Webhook endpoints: admin-only management, the secret shown once and stored encrypted, and the
// SSRF guard on URLs at create and update time and again at each delivery (host names resolved
// through a stub lookup).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedAddress } from '../../../src/lib/lookup.ts';
import { loginAs } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { client, expectFieldError, expectProblem } from '../../helpers/http.ts';
import { waitUntil } from '../../helpers/wait.ts';
import { bookingParties, createEndpoint, FAST_WEBHOOK_RETRIES, startReceiver, stubLookup, type Receiver } from '../../helpers/webhooks.ts';

const names = new Map<string, ResolvedAddress[]>([
  ['hooks.example.com', [{ address: '93.184.215.14', family: 4 }]],
  ['private.example.com', [{ address: '10.1.2.3', family: 4 }]],
  ['loopback.example.com', [{ address: '127.0.0.1', family: 4 }]],
  ['metadata.example.com', [{ address: '169.254.169.254', family: 4 }]],
  ['cgnat.example.com', [{ address: '100.64.0.7', family: 4 }]],
  ['ula.example.com', [{ address: 'fd00:ec2::254', family: 6 }]],
  ['mapped.example.com', [{ address: '::ffff:192.168.0.1', family: 6 }]],
  // One public and one private address: every address must pass.
  ['mixed.example.com', [{ address: '93.184.215.14', family: 4 }, { address: '192.168.1.10', family: 4 }]],
]);

const t = useTestApp({ overrides: { lookup: stubLookup(names) } });
const http = () => client(t.app);
const EVENTS = ['appointment.created', 'appointment.cancelled'];

describe('webhook endpoints', () => {
  it('shows the secret only when created, and stores it encrypted', async () => {
    const admin = await loginAs(t, 'admin');
    const created = await createEndpoint(t, admin, { url: 'https://hooks.example.com/clinic', events: EVENTS, description: 'CRM' });
    expect(created).toMatchObject({ url: 'https://hooks.example.com/clinic', events: EVENTS, description: 'CRM', isActive: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(32);

    const one = await http().get(`operations/webhooks/${created.id}`, { headers: admin.headers });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ id: created.id, url: created.url, events: EVENTS, description: 'CRM', isActive: true, createdAt: created.createdAt });
    const list = await http().get('operations/webhooks', { headers: admin.headers });
    expect(list.json<{ id: string }[]>().find((endpoint) => endpoint.id === created.id)).not.toHaveProperty('secret');

    const [row] = await t.db.$queryRaw<{ stored: string }[]>`SELECT secret_encrypted::text AS stored FROM webhook_endpoints WHERE id = ${created.id}::uuid`;
    const secretBytes = created.secret.slice('whsec_'.length);
    expect(row!.stored).not.toContain(secretBytes);
    expect(row!.stored).not.toContain(Buffer.from(secretBytes, 'base64').toString('hex'));
  });

  it('is for admins only', async () => {
    const admin = await loginAs(t, 'admin');
    const created = await createEndpoint(t, admin, { url: 'https://hooks.example.com/a', events: EVENTS });
    for (const role of ['patient', 'doctor'] as const) {
      const other = await loginAs(t, role);
      expectProblem(await http().get('operations/webhooks', { headers: other.headers }), 403, 'forbidden');
      expectProblem(await http().post('operations/webhooks', { url: 'https://hooks.example.com/b', events: EVENTS }, { headers: other.headers }), 403, 'forbidden');
      expectProblem(await http().delete(`operations/webhooks/${created.id}`, { headers: other.headers }), 403, 'forbidden');
      expectProblem(await http().get(`operations/webhooks/${created.id}/deliveries`, { headers: other.headers }), 403, 'forbidden');
    }
    expectProblem(await http().get('operations/webhooks'), 401, 'unauthorized');
    // A second admin manages the same endpoints.
    const second = await loginAs(t, 'admin');
    expect((await http().get(`operations/webhooks/${created.id}`, { headers: second.headers })).statusCode).toBe(200);
  });

  it('updates the fields sent and deletes', async () => {
    const admin = await loginAs(t, 'admin');
    const created = await createEndpoint(t, admin, { url: 'https://hooks.example.com/old', events: EVENTS });
    const patched = await http().patch(`operations/webhooks/${created.id}`, { events: ['review.created'], isActive: false }, { headers: admin.headers });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ url: 'https://hooks.example.com/old', events: ['review.created'], isActive: false, description: '' });
    expect(patched.json()).not.toHaveProperty('secret');

    expect((await http().delete(`operations/webhooks/${created.id}`, { headers: admin.headers })).statusCode).toBe(204);
    expectProblem(await http().get(`operations/webhooks/${created.id}`, { headers: admin.headers }), 404, 'not_found');
    expectProblem(await http().patch(`operations/webhooks/${created.id}`, { isActive: true }, { headers: admin.headers }), 404, 'not_found');
    expectProblem(await http().delete(`operations/webhooks/${created.id}`, { headers: admin.headers }), 404, 'not_found');
    expectProblem(await http().get(`operations/webhooks/${created.id}/deliveries`, { headers: admin.headers }), 404, 'not_found');
  });

  it('refuses bad bodies with 400 naming the field, changing nothing', async () => {
    const admin = await loginAs(t, 'admin');
    const before = await t.db.webhookEndpoint.count();
    const post = (body: unknown) => http().post('operations/webhooks', body, { headers: admin.headers });
    expectFieldError(await post({ url: 'https://hooks.example.com/', events: ['appointment.exploded'] }), 'events.0');
    expectFieldError(await post({ url: 'https://hooks.example.com/', events: [] }), 'events');
    expectFieldError(await post({ url: 'https://hooks.example.com/', events: ['review.created', 'review.created'] }), 'events');
    expectFieldError(await post({ url: 'https://hooks.example.com/', events: EVENTS, secret: 'whsec_mine' }), 'secret');
    expectFieldError(await post({ url: 'https://hooks.example.com/', events: EVENTS, isActive: false }), 'isActive');
    expectFieldError(await post({ url: 'https://hooks.example.com/\u0000', events: EVENTS }), 'url');
    expectFieldError(await post({ url: 'x'.repeat(2001), events: EVENTS }), 'url');
    expectFieldError(await post({ url: 'not a url', events: EVENTS }), 'url');
    expectFieldError(await post({ events: EVENTS }), 'url');
    expect(await t.db.webhookEndpoint.count()).toBe(before);
    expectProblem(await http().get('operations/webhooks/not-a-uuid', { headers: admin.headers }), 400, 'validation_failed');
  });

  it('refuses URLs that are not https or that resolve to loopback, private, link-local, CGNAT or metadata addresses', async () => {
    const admin = await loginAs(t, 'admin');
    const refused = [
      'http://hooks.example.com/',
      'ftp://hooks.example.com/',
      'https://user:password@hooks.example.com/',
      'https://127.0.0.1/',
      'https://[::1]/',
      'https://10.0.0.1/',
      'https://172.16.5.4/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://100.100.100.200/',
      'https://0.0.0.0/',
      'https://[fe80::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[64:ff9b::a00:1]/',
      'https://private.example.com/',
      'https://loopback.example.com/',
      'https://metadata.example.com/',
      'https://cgnat.example.com/',
      'https://ula.example.com/',
      'https://mapped.example.com/',
      'https://mixed.example.com/',
      'https://unknown.example.com/',
    ];
    for (const url of refused) {
      const response = await http().post('operations/webhooks', { url, events: EVENTS }, { headers: admin.headers });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 400 });
      expectFieldError(response, 'url');
    }
    expect(await t.db.webhookEndpoint.count({ where: { url: { in: refused } } })).toBe(0);

    const created = await createEndpoint(t, admin, { url: 'https://hooks.example.com/ok', events: EVENTS });
    expectFieldError(await http().patch(`operations/webhooks/${created.id}`, { url: 'https://private.example.com/' }, { headers: admin.headers }), 'url');
    expect((await http().get(`operations/webhooks/${created.id}`, { headers: admin.headers })).json()).toMatchObject({ url: 'https://hooks.example.com/ok' });
  });
});

describe('with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true', () => {
  const intranet = useTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, overrides: { lookup: stubLookup(names) } });

  it('accepts http:// and private addresses, still only http(s) URLs of hosts that resolve', async () => {
    const admin = await loginAs(intranet, 'admin');
    for (const url of ['http://10.0.0.1/hooks', 'https://private.example.com/', 'http://127.0.0.1:8080/']) {
      await createEndpoint(intranet, admin, { url, events: EVENTS });
    }
    for (const url of ['ftp://10.0.0.1/', 'https://unknown.example.com/']) {
      expectFieldError(await client(intranet.app).post('operations/webhooks', { url, events: EVENTS }, { headers: admin.headers }), 'url');
    }
  });
});

describe('at each delivery', () => {
  // Resolved afresh by every attempt: the test moves the name to another address after the check at create time.
  const rebinding = new Map<string, ResolvedAddress[]>([['rebind.example.com', [{ address: '93.184.215.14', family: 4 }]]]);
  const guarded = useTestApp({ overrides: { lookup: stubLookup(rebinding), jobOptions: FAST_WEBHOOK_RETRIES } });
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('checks the address again and never connects to a host that now resolves to a private one (DNS rebinding)', async () => {
    const admin = await loginAs(guarded, 'admin');
    const endpoint = await createEndpoint(guarded, admin, { url: `https://rebind.example.com:${receiver.port}/hooks`, events: ['appointment.created'] });
    rebinding.set('rebind.example.com', [{ address: '127.0.0.1', family: 4 }]);
    const { book } = await bookingParties(guarded);
    await book();
    const deliveries = () => client(guarded.app).get(`operations/webhooks/${endpoint.id}/deliveries`, { headers: admin.headers });
    await waitUntil('two refused attempts', async () => (await deliveries()).json<{ results: { attempts: number }[] }>().results[0]!.attempts >= 2);
    expect((await deliveries()).json<{ results: unknown[] }>().results[0]).toMatchObject({ status: 'pending', lastResponseStatus: null });
    expect(receiver.connections).toBe(0);
    await client(guarded.app).delete(`operations/webhooks/${endpoint.id}`, { headers: admin.headers });
  });
});
