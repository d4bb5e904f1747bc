// isDatabaseUnavailable: the shapes a lost or unreachable PostgreSQL takes through Prisma 7, the
// pg driver adapter and pg itself (seen in tests/operations/postgres-restart.int.test.ts) are
// outages (503); constraint and data errors are not.
import { describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { isDatabaseUnavailable } from '../../src/lib/db-errors.ts';

const known = (code: string, cause?: Record<string, unknown>) =>
  new Prisma.PrismaClientKnownRequestError('database error', {
    code,
    clientVersion: '7',
    ...(cause ? { meta: { driverAdapterError: { name: 'DriverAdapterError', cause } } } : {}),
  });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['P1001 unreachable', known('P1001', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })],
    ['P1017 closed', known('P1017', { kind: 'ConnectionClosed' })],
    ['P2024 pool timeout', known('P2024')],
    ['P2028 transaction not started or timed out', known('P2028')],
    ['P2010 raw query on an unreachable server', known('P2010', { kind: 'DatabaseNotReachable' })],
    ['57P01 admin shutdown', known('P2010', { originalCode: '57P01', code: '57P01', kind: 'postgres' })],
    ['57P03 shutting down', known('P2039', { originalCode: '57P03', code: '57P03', kind: 'postgres' })],
    ['08006 connection failure', known('P2039', { originalCode: '08006', kind: 'postgres' })],
    ['53300 too many connections', known('P2039', { originalCode: '53300', kind: 'postgres' })],
    ['pg: broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['pg: terminated', new Error('Connection terminated unexpectedly')],
    ['socket errno', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['wrapped', new Error('transaction failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) })],
    ['initialization', new Prisma.PrismaClientInitializationError("Can't reach database server at 127.0.0.1:5432", '7', 'P1001')],
  ])('%s → unavailable', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['P2002 unique', known('P2002')],
    ['23P01 exclusion', known('P2039', { originalCode: '23P01' })],
    ['22P02 bad input', known('P2039', { originalCode: '22P02' })],
    ['P2025 not found', known('P2025')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'ECONNREFUSED'],
    ['null', null],
  ])('%s → not unavailable', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
