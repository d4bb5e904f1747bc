// The chain's head is written once per INSERT statement (migration 20261207120454): a page of
// patients is audited in one statement, and a transaction carries its running head until it
// ends. Several writers at once, and savepoints rolled back in the middle, must still make one
// unbroken chain that the verification accepts.
import { beforeAll, describe, expect, it } from 'vitest';
import type { DbClient } from '../../../src/lib/db.ts';
import { createPatient, type Actor } from '../../helpers/actors.ts';
import { useTestApp } from '../../helpers/app.ts';
import { auditCast, readRecord, verifyAudit } from '../../helpers/audit.ts';
import { client, requestId } from '../../helpers/http.ts';

const t = useTestApp();
let admin: Actor<'admin'>;
let doctor: Actor<'doctor'>;
let patient: Actor<'patient'>;

beforeAll(async () => {
  ({ admin, doctor, patient } = await auditCast(t));
  for (let i = 0; i < 5; i += 1) await createPatient(t.db);
});

interface Link {
  id: string;
  seq: bigint;
  subject: string | null;
  request_id: string | null;
  hash: string;
  prev_hash: string;
}

const chain = () => t.db.$queryRaw<Link[]>`SELECT id::text, seq, subject, request_id, hash, prev_hash FROM audit_events ORDER BY seq`;

/** Every event follows the one before (seq + 1, prevHash), the head is the last one, and the verification agrees. */
async function expectOneChain(): Promise<Link[]> {
  const links = await chain();
  links.forEach((link, i) => {
    expect(link.seq).toBe(BigInt(i + 1));
    expect(link.prev_hash).toBe(i === 0 ? '0'.repeat(64) : links[i - 1]!.hash);
  });
  const [head] = await t.db.$queryRaw<{ seq: bigint; hash: string; event_id: string }[]>`SELECT seq, hash, event_id::text FROM audit_chain_head`;
  const last = links.at(-1)!;
  expect(head).toEqual({ seq: last.seq, hash: last.hash, event_id: last.id });
  expect(await verifyAudit(t, admin)).toEqual({ ok: true, checked: links.length, firstBrokenId: null });
  return links;
}

/** `count` events about `subject` in one INSERT statement, as the audit module writes a page's reads. */
const append = (tx: DbClient, subject: string, count: number) =>
  tx.$executeRaw`
    INSERT INTO audit_events (id, action, outcome, subject)
    SELECT gen_random_uuid(), 'test.append', 'success', ${subject} FROM generate_series(1, ${count}) ORDER BY 1`;

const subjects = (links: Link[]) => links.filter((link) => link.subject !== null).map((link) => link.subject);

describe('the chain with several writers', () => {
  it('pages of patients (one event each, in one statement) and single reads from several connections at once', async () => {
    const before = (await chain()).length;
    const pages = Array.from({ length: 6 }, () => {
      const id = requestId();
      return client(t.app)
        .get('patient/patients/?pageSize=100', { headers: { ...admin.headers, 'x-request-id': id } })
        .then((response) => ({ id, response }));
    });
    const reads = Array.from({ length: 6 }, () => readRecord(t, doctor, patient));
    const [listed, read] = await Promise.all([Promise.all(pages), Promise.all(reads)]);
    for (const { response } of listed) expect(response.statusCode).toBe(200);
    for (const response of read) expect(response.statusCode).toBe(200);
    const perPage = listed[0]!.response.json<{ results: unknown[] }>().results.length;
    expect(perPage).toBeGreaterThanOrEqual(6);

    const links = await expectOneChain();
    expect(links.length).toBe(before + 6 * perPage + 6);
    // A page's events are one statement under the head's lock: consecutive in the chain.
    for (const { id } of listed) {
      const seqs = links.filter((link) => link.request_id === id).map((link) => Number(link.seq));
      expect(seqs.length).toBe(perPage);
      expect(seqs.at(-1)! - seqs[0]!).toBe(perPage - 1);
    }
  });

  it('a savepoint rolled back in the middle leaves no gap and no fork; the next event links to the head before it', async () => {
    await t.db.$transaction(async (tx) => {
      await append(tx, 'kept-1', 1);
      await tx.$executeRawUnsafe('SAVEPOINT audited');
      await append(tx, 'rolled-back-1', 3);
      await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT audited');
      await append(tx, 'kept-2', 2);
    });
    let links = await expectOneChain();
    expect(subjects(links).slice(-3)).toEqual(['kept-1', 'kept-2', 'kept-2']);

    // The transaction's only events are rolled back, which frees the head: another connection
    // appends meanwhile, and the transaction's next event follows that one.
    await t.db.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SAVEPOINT audited');
      await append(tx, 'rolled-back-2', 2);
      await tx.$executeRawUnsafe('ROLLBACK TO SAVEPOINT audited');
      expect((await readRecord(t, doctor, patient)).statusCode).toBe(200);
      await append(tx, 'kept-3', 1);
    });
    links = await expectOneChain();
    expect(links.at(-2)!.subject).toBeNull();
    expect(links.at(-1)!.subject).toBe('kept-3');
    expect(subjects(links).filter((subject) => subject!.startsWith('rolled-back'))).toEqual([]);
  });
});
