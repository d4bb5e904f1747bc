// Unit tests for the FIFO counting semaphore.
import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/lib/semaphore.ts';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 5));

describe('Semaphore', () => {
  it('never runs more than its limit under 20 concurrent calls, and starts them in FIFO order', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let maxRunning = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        semaphore.run(async () => {
          started.push(i);
          running++;
          maxRunning = Math.max(maxRunning, running);
          expect(semaphore.active).toBeLessThanOrEqual(3);
          await tick();
          running--;
          return i * 2;
        }),
      ),
    );
    expect(maxRunning).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect([semaphore.active, semaphore.pending]).toEqual([0, 0]);
  });

  it('frees the slot when a task fails, and passes the error on', async () => {
    const semaphore = new Semaphore(1);
    const failing = semaphore.run(async () => {
      await tick();
      throw new Error('boom');
    });
    const next = semaphore.run(() => Promise.resolve('ran'));
    expect(semaphore.pending).toBe(1);
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    expect([semaphore.active, semaphore.pending]).toEqual([0, 0]);
  });

  it('refuses a limit below 1 or not an integer', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
  });
});
