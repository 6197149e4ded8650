import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.ts';

describe('Batcher', () => {
  it('writes calls made together as one batch, and calls made during a write as the next', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await firstWrite;
    }, 3);
    const first = [1, 2].map((n) => batcher.add(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1, 2]]);
    // Made while [1, 2] is written: they wait, then go in batches of at most 3.
    const later = [3, 4, 5, 6].map((n) => batcher.add(n));
    release();
    await Promise.all([...first, ...later]);
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('rejects every call of a failed batch with its error, and carries on with the next', async () => {
    const batcher = new Batcher<string>(async (items) => {
      if (items.includes('bad')) throw new Error('write failed');
    }, 10);
    const results = await Promise.allSettled([batcher.add('ok'), batcher.add('bad')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('write failed'));
    await expect(batcher.add('fine')).resolves.toBeUndefined();
  });
});
