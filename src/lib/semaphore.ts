// A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order.
export class Semaphore {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
    }
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** Tasks queued behind the running ones. */
  get pending(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active < this.limit) {
      this.#active++;
    } else {
      // The finishing task hands its slot straight to us (see finally), so a newcomer
      // arriving in between cannot overtake the queue.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
