import { describe, expect, it } from 'vitest';
import { createLogger } from '@micropost/logger';
import { LiveHub } from '../src/live/live-hub.ts';

const hub = () => new LiveHub<number>(3, createLogger('test', 'silent'));

describe('LiveHub', () => {
  it('delivers to the subscribers of one channel only', async () => {
    const live = hub();
    const a = live.subscribe('feed:a');
    const b = live.subscribe('feed:b');
    expect(live.deliver('feed:a', 1)).toBe(1);
    expect(live.deliver('feed:c', 2)).toBe(0);
    expect(await a.next()).toEqual({ value: 1, done: false });
    live.deliver('feed:b', 3);
    expect(await b.next()).toEqual({ value: 3, done: false });
  });

  it('wakes a subscriber that is already waiting', async () => {
    const live = hub();
    const a = live.subscribe('feed:a');
    const next = a.next();
    live.deliver('feed:a', 7);
    expect(await next).toEqual({ value: 7, done: false });
  });

  it('keeps at most its buffer size for a slow subscriber, dropping the oldest', async () => {
    const live = hub();
    const slow = live.subscribe('feed:a');
    for (let i = 1; i <= 5; i++) live.deliver('feed:a', i);
    const received = [];
    for (let i = 0; i < 3; i++) received.push((await slow.next()).value);
    expect(received).toEqual([3, 4, 5]);
  });

  it('forgets a subscription when it is returned, and its channel when empty', async () => {
    const live = hub();
    const a = live.subscribe('feed:a');
    const pending = a.next();
    live.subscribe('feed:b');
    expect([live.subscriptionCount, live.channelCount]).toEqual([2, 2]);
    await a.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect([live.subscriptionCount, live.channelCount]).toEqual([1, 1]);
    expect(live.deliver('feed:a', 1)).toBe(0);
  });
});
