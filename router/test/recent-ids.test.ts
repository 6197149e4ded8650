import { describe, expect, it } from 'vitest';
import { RecentIds } from '../src/live/recent-ids.ts';

describe('RecentIds', () => {
  it('reports a repeat within its window, and forgets the oldest beyond it', () => {
    const recent = new RecentIds(2);
    expect(recent.firstSighting('a')).toBe(true);
    expect(recent.firstSighting('a')).toBe(false);
    expect(recent.firstSighting('b')).toBe(true);
    expect(recent.firstSighting('c')).toBe(true);
    expect(recent.firstSighting('b')).toBe(false);
    expect(recent.firstSighting('a')).toBe(true);
  });
});
