import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/batcher.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('writes calls made together as one batch, and calls made during a write as the next', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await firstWrite;
      },
      { maxSize: 3, parallel: 1 },
    );
    const first = [1, 2].map((n) => batcher.add(n));
    await nextTurn();
    expect(batches).toEqual([[1, 2]]);
    // Made while [1, 2] is written: they wait, then go in batches of at most 3.
    const later = [3, 4, 5, 6].map((n) => batcher.add(n));
    await nextTurn();
    expect(batches).toEqual([[1, 2]]);
    release();
    await Promise.all([...first, ...later]);
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('writes up to `parallel` batches at once, splitting the waiting calls between them', async () => {
    const writing: number[][] = [];
    const releases: (() => void)[] = [];
    const batcher = new Batcher<number>(
      (items) => {
        writing.push(items);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
      { maxSize: 100, parallel: 4 },
    );
    const all = Array.from({ length: 10 }, (_, i) => batcher.add(i));
    await nextTurn();
    expect(writing.map((batch) => batch.length)).toEqual([3, 3, 2, 2]);
    expect(writing.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Every slot busy: a new call waits for one to free.
    const late = batcher.add(10);
    await nextTurn();
    expect(writing).toHaveLength(4);
    releases[0]!();
    await all[0];
    await nextTurn();
    expect(writing.at(-1)).toEqual([10]);
    for (const release of releases) release();
    await Promise.all([...all, late]);
  });

  it('rejects every call of a failed batch with its error, and carries on with the next', async () => {
    const batcher = new Batcher<string>(
      async (items) => {
        if (items.includes('bad')) throw new Error('write failed');
      },
      { maxSize: 10, parallel: 1 },
    );
    const results = await Promise.allSettled([batcher.add('ok'), batcher.add('bad')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('write failed'));
    await expect(batcher.add('fine')).resolves.toBeUndefined();
  });
});
