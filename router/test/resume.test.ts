import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createEvent, InProcessEventBus, RabbitEventBus, type EventBus, type StreamSpec } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import { createTestServices, waitFor } from '@micropost/testing';
import { closeConnections } from '../../packages/events/test/helpers.ts';
import { decodeCursor, encodeCursor } from '../src/live/cursor.ts';
import type { GatewayExecutor } from '../src/live/hydrator.ts';
import { LiveHub } from '../src/live/live-hub.ts';
import { startLiveReader } from '../src/live/live-service.ts';
import { ReplayScopes, resume, Slots } from '../src/live/resume.ts';
import type { LiveItem } from '../src/live/subscription-schema.ts';

// The hand-over logic of a resuming subscription, on the in-process bus (same stream contract as
// RabbitMQ, see packages/events); the two-server version runs in app/test/resume.test.ts.
const logger = createLogger('test', 'silent');
const execute: GatewayExecutor = async () => ({ data: null });
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(
  options: {
    bufferSize?: number;
    concurrency?: number;
    maxLengthBytes?: number;
    maxSegmentBytes?: number;
    bus?: EventBus;
  } = {},
) {
  const bus = options.bus ?? new InProcessEventBus({ logger });
  closers.push(() => bus.close());
  const stream: StreamSpec = {
    stream: `events.${randomUUID()}`,
    bindings: ['#'],
    maxAge: '1h',
    maxLengthBytes: options.maxLengthBytes ?? 10_000_000,
    ...(options.maxSegmentBytes === undefined ? {} : { maxSegmentBytes: options.maxSegmentBytes }),
  };
  await bus.declareStream(stream);
  const bufferSize = options.bufferSize ?? 64;
  const hub = new LiveHub<LiveItem>(bufferSize, logger);
  const live = await startLiveReader({ bus, stream, hub, execute, prefetch: 8, logger });
  closers.push(() => live.cancel());
  const slots = new Slots(options.concurrency ?? 4);
  const post = async (n: number) => {
    const event = createEvent('post.created', {
      postId: `p${n}`,
      authorId: 'a1',
      body: `post ${n}`,
      createdAt: new Date().toISOString(),
    });
    await bus.publish(event);
    return event.id;
  };
  // A plain live subscriber: where the tests take cursors from.
  const watcher = hub.subscribe('postCreated:a1');
  closers.push(() => watcher.return!());
  const open = async (cursor: string, liveHead: () => number | undefined = live.head) => {
    const iterator = await resume(
      {
        bus,
        stream: stream.stream,
        hub,
        liveHead,
        scopes: new ReplayScopes(execute, logger),
        logger,
        bufferSize,
        slots,
        verifyTimeoutMs: 1_000,
        prefetch: 4,
      },
      'postCreated:a1',
      decodeCursor(cursor),
    );
    closers.push(() => iterator.return!());
    return iterator;
  };
  return { bus, hub, live, post, watcher, open, stream };
}

const take = async (iterator: AsyncIterator<LiveItem>, count: number) => {
  const items: LiveItem[] = [];
  for (let i = 0; i < count; i++) items.push((await iterator.next()).value as LiveItem);
  return items;
};

describe('resuming a subscription from a cursor', () => {
  it('replays what followed the cursor, then continues live, without gap or duplicate', async () => {
    const { post, watcher, open } = await setup();
    const ids = [await post(0)];
    const [first] = await take(watcher, 1);
    for (let n = 1; n <= 5; n++) ids.push(await post(n));
    await take(watcher, 5);
    const resumed = await open(first!.cursor);
    const replayed = await take(resumed, 5);
    expect(replayed.map((item) => item.eventId)).toEqual(ids.slice(1));
    ids.push(await post(6));
    const [live] = await take(resumed, 1);
    expect(live!.eventId).toBe(ids[6]);
    expect([...replayed, live!].map((item) => item.offset)).toEqual([1, 2, 3, 4, 5, 6].map((n) => first!.offset + n));
  });

  it('hands over exactly once while live events keep arriving during a slow replay', async () => {
    // A buffer of 2: the replay waits for the reader, and live items overflow their buffer. (Once
    // live, a client that falls 2 behind loses the oldest, as every live subscription does.)
    const { post, watcher, open } = await setup({ bufferSize: 2 });
    const ids = [await post(0)];
    const [first] = await take(watcher, 1);
    for (let n = 1; n <= 10; n++) ids.push(await post(n));
    const resumed = await open(first!.cursor);
    // Nothing read yet; more events come in while the replay is held back.
    for (let n = 11; n <= 20; n++) ids.push(await post(n));
    const received: LiveItem[] = [];
    const reading = (async () => {
      for (let n = 1; n <= 25; n++) {
        received.push((await resumed.next()).value as LiveItem);
        // Still replaying: these overflow the live buffer (2), so the replay must read them itself.
        if (n >= 15 && n < 20) ids.push(await post(n + 6));
        await sleep(1);
      }
    })();
    await reading;
    expect(received.map((item) => item.eventId)).toEqual(ids.slice(1));
  });

  it('stops the replay at the live reader’s position, and drops what the replay already delivered', async () => {
    const { post, watcher, open, hub } = await setup({ bufferSize: 4 });
    await post(0);
    const [first] = await take(watcher, 1);
    const seen: LiveItem[] = [];
    for (let n = 1; n <= 6; n++) {
      await post(n);
      seen.push(...(await take(watcher, 1)));
    }
    // This server's live reader has handled only up to event 2 when the client resumes: the replay
    // stops there, and the reader brings the rest, after repeating event 2 (a reconnect).
    const head = seen[1]!.offset;
    const resumed = await open(first!.cursor, () => head);
    const replayed = await take(resumed, 2);
    for (const item of seen.slice(1)) hub.deliver('postCreated:a1', item);
    replayed.push(...(await take(resumed, 4)));
    expect(replayed.map((item) => item.offset)).toEqual(seen.map((item) => item.offset));
    // After the hand-over, a second publication of a delivered event (an outbox retry) is not news.
    hub.deliver('postCreated:a1', { ...seen[4]!, offset: seen[5]!.offset + 100 });
    const id = await post(7);
    expect((await take(resumed, 1))[0]!.eventId).toBe(id);
  });

  it('hands over once the replay is idle when this server’s live reader has seen nothing yet', async () => {
    const { post, watcher, open } = await setup({ concurrency: 1 });
    await post(0);
    const [first] = await take(watcher, 1);
    const ids = [await post(1), await post(2)];
    await take(watcher, 2);
    // As on a server started after these events, with none since.
    const resumed = await open(first!.cursor, () => undefined);
    expect((await take(resumed, 2)).map((item) => item.eventId)).toEqual(ids);
    // The only replay slot comes free once the idle replay has handed over.
    const second = await open(first!.cursor, () => undefined);
    expect((await take(second, 2)).map((item) => item.eventId)).toEqual(ids);
    const live = await post(3);
    expect((await take(resumed, 1))[0]!.eventId).toBe(live);
    expect((await take(second, 1))[0]!.eventId).toBe(live);
  });

  it('fails with CURSOR_EXPIRED for a cursor whose event is gone or is another event', async () => {
    const { post, watcher, open } = await setup({ maxLengthBytes: 2_000 });
    await post(0);
    const [first] = await take(watcher, 1);
    // Retention by size: enough events to push the first out of the ring.
    for (let n = 1; n <= 20; n++) await post(n);
    await expect(open(first!.cursor)).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
    const [, , latest] = await take(watcher, 20).then((items) => items.slice(-3));
    await expect(open(encodeCursor(latest!.offset, 'some other event'))).rejects.toMatchObject({
      extensions: { code: 'CURSOR_EXPIRED' },
    });
  });

  it('runs at most RESUME_CONCURRENCY replays at once; the others wait their turn', async () => {
    const { post, watcher, open, hub } = await setup({ concurrency: 1, bufferSize: 1 });
    await post(0);
    const [first] = await take(watcher, 1);
    for (let n = 1; n <= 3; n++) await post(n);
    const one = await open(first!.cursor); // holds the only slot: its client reads nothing yet
    let secondOpened = false;
    const two = open(first!.cursor).then((iterator) => {
      secondOpened = true;
      return iterator;
    });
    await sleep(100);
    expect(secondOpened).toBe(false);
    await take(one, 3); // the first replay catches up and hands over: its slot is free
    const second = await two;
    expect((await take(second, 3)).map((item) => item.payload)).toEqual(
      [1, 2, 3].map((n) => ({ type: 'postCreated', postId: `p${n}` })),
    );
    await waitFor(async () => hub.subscriptionCount === 3, { message: 'subscriptions not counted' });
  });
});

describe('resuming on RabbitMQ', () => {
  it('finishes a replay without gap or repeat when the broker drops the connection midway', async () => {
    const services = await createTestServices();
    closers.push(() => services.dispose());
    const bus = await RabbitEventBus.connect({
      url: services.amqpUrl,
      exchange: 'resume.events',
      prefetch: 4,
      logger,
      maxReconnectDelayMs: 300,
    });
    // A buffer of 4: the replay runs at the client's pace, so it is midway when the connection drops.
    const { post, watcher, open } = await setup({ bus, bufferSize: 4 });
    await post(0);
    const [first] = await take(watcher, 1);
    const ids: string[] = [];
    for (let n = 1; n <= 40; n++) ids.push(await post(n));
    const resumed = await open(first!.cursor);
    const received = await take(resumed, 5);
    await waitFor(async () => (await closeConnections(services.rabbit, services.vhost)) > 0, {
      message: 'no connection to close',
    });
    received.push(...(await take(resumed, 35)));
    expect(received.map((item) => item.eventId)).toEqual(ids);
    // And then live (the connection is back: the replay needed it).
    const live = await post(41);
    expect((await take(resumed, 1))[0]!.eventId).toBe(live);
  }, 60_000);

  it('fails with CURSOR_EXPIRED once retention has dropped the cursor’s event', async () => {
    const services = await createTestServices();
    closers.push(() => services.dispose());
    const bus = await RabbitEventBus.connect({ url: services.amqpUrl, exchange: 'expiry.events', prefetch: 8, logger });
    const { post, watcher, open, stream } = await setup({ bus, maxLengthBytes: 20_000, maxSegmentBytes: 4_000 });
    await post(0);
    const [first] = await take(watcher, 1);
    await expect(open(first!.cursor).then((it) => it.return!())).resolves.toMatchObject({ done: true });
    // Enough events for several segments: the oldest go once the stream is past its size.
    let oldest = first!.offset;
    for (let round = 0; oldest === first!.offset && round < 20; round++) {
      for (let n = 0; n < 50; n++) await post(n);
      oldest = await firstOffset(bus, stream.stream);
    }
    expect(oldest).toBeGreaterThan(first!.offset);
    await expect(open(first!.cursor)).rejects.toMatchObject({ extensions: { code: 'CURSOR_EXPIRED' } });
  }, 60_000);
});

/** The offset of the oldest event the stream still holds. */
async function firstOffset(bus: EventBus, stream: string): Promise<number> {
  let offset: number | undefined;
  const reader = await bus.readStream(stream, 'first', async (delivery) => void (offset ??= delivery.offset));
  await waitFor(async () => offset !== undefined, { message: 'the stream is empty' });
  await reader.cancel();
  return offset!;
}
