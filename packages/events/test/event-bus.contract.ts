import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@micropost/testing';
import { createEvent, DEFAULT_MAX_DELIVERIES, type EventBus, type EventEnvelope } from '../src/index.ts';
import { uniqueName } from './helpers.ts';

/** What each adapter's test file provides to the shared contract. */
export interface BusHarness {
  /** A bus as one server would hold it. RabbitMQ: a new connection per call; in-process: the same bus. */
  createBus(): Promise<EventBus>;
  /** Raw payloads dead-lettered from `queue` (its `<queue>.dlq`), oldest first. */
  deadLetters(queue: string): Promise<string[]>;
  /** Sends bytes that are not a valid envelope, as a foreign or broken producer would. */
  publishRaw(routingKey: string, body: Buffer): Promise<void>;
  dispose(): Promise<void>;
}

const registered = (n: number) =>
  createEvent('user.registered', {
    userId: `u${n}`,
    handle: `user${n}`,
    displayName: `User ${n}`,
    createdAt: new Date().toISOString(),
  });
const updated = (n: number) =>
  createEvent('user.updated', {
    userId: `u${n}`,
    handle: `user${n}`,
    displayName: `User ${n}`,
    bio: '',
    avatarUrl: null,
    revision: 1,
  });

/** Collects what a handler received. */
function recorder() {
  const events: EventEnvelope[] = [];
  return { events, handler: async (event: EventEnvelope) => void events.push(event) };
}

const ids = (events: EventEnvelope[]) => events.map((event) => event.id).sort();

/**
 * "Nothing else arrives", deterministically: a queue (or stream) delivers in publish order, so once
 * a marker published after everything else has arrived, whatever was going to arrive before it has.
 */
const marker = (routingKey: 'user.updated' | 'post.deleted') =>
  routingKey === 'user.updated'
    ? updated(-1)
    : createEvent('post.deleted', { postId: 'marker', authorId: 'marker', createdAt: new Date().toISOString() });

/** Waits until every recorder has the marker, then takes it out again. */
async function untilMarker(event: EventEnvelope, ...recorders: { events: EventEnvelope[] }[]): Promise<void> {
  await waitFor(async () => recorders.every(({ events }) => events.some((e) => e.id === event.id)), {
    message: `the marker ${event.type} never arrived`,
  });
  for (const { events } of recorders)
    events.splice(
      events.findIndex((e) => e.id === event.id),
      1,
    );
}

export function eventBusContract(name: string, makeHarness: () => Promise<BusHarness>): void {
  describe(`EventBus contract: ${name}`, () => {
    let harness: BusHarness;
    let bus: EventBus;

    beforeAll(async () => {
      harness = await makeHarness();
      bus = await harness.createBus();
    });
    afterAll(async () => harness?.dispose());

    it('delivers a published event with its whole envelope', async () => {
      const received = recorder();
      await bus.consume(
        { queue: uniqueName('contract.envelope'), kind: 'shared', bindings: ['user.registered'] },
        received.handler,
      );
      const event = createEvent(
        'user.registered',
        { userId: 'u1', handle: 'ada', displayName: 'Ada', createdAt: '2026-01-01T00:00:00.000Z' },
        { requestId: 'req-1' },
      );
      await bus.publish(event);
      await waitFor(async () => received.events.length === 1, { message: 'the event never arrived' });
      expect(received.events[0]).toEqual(event);
    });

    it('routes by topic pattern (* one word, # any)', async () => {
      const star = recorder();
      const exact = recorder();
      const hash = recorder();
      const other = recorder();
      await bus.consume({ queue: uniqueName('contract.star'), kind: 'shared', bindings: ['user.*'] }, star.handler);
      await bus.consume(
        { queue: uniqueName('contract.exact'), kind: 'shared', bindings: ['user.registered'] },
        exact.handler,
      );
      await bus.consume({ queue: uniqueName('contract.hash'), kind: 'server', bindings: ['#'] }, hash.handler);
      await bus.consume(
        { queue: uniqueName('contract.other'), kind: 'shared', bindings: ['post.*', 'user.registered.*'] },
        other.handler,
      );
      const events = [registered(1), updated(1)];
      for (const event of events) await bus.publish(event);

      const userMarker = marker('user.updated');
      const postMarker = marker('post.deleted');
      await bus.publish(userMarker);
      await bus.publish(postMarker);
      await untilMarker(userMarker, star, hash);
      await untilMarker(postMarker, hash, other);
      expect(ids(star.events)).toEqual(ids(events));
      expect(ids(hash.events)).toEqual(ids(events));
      expect(exact.events.map((event) => event.type)).toEqual(['user.registered']);
      expect(other.events).toEqual([]);
    });

    it('splits a shared queue between its consumers: each event handled once', async () => {
      const queue = uniqueName('contract.shared');
      const serverA = recorder();
      const serverB = recorder();
      const otherBus = await harness.createBus();
      await bus.consume({ queue, kind: 'shared', bindings: ['user.*'] }, serverA.handler);
      await otherBus.consume({ queue, kind: 'shared', bindings: ['user.*'] }, serverB.handler);
      const events = Array.from({ length: 20 }, (_, n) => registered(n));
      await Promise.all(events.map((event) => bus.publish(event)));

      await waitFor(async () => serverA.events.length + serverB.events.length >= events.length, {
        message: 'not every event was handled',
      });
      // Markers until each consumer has had one: each then has handled all that came before it.
      const markers = new Set<string>();
      const hasMarker = (copy: { events: EventEnvelope[] }) => copy.events.some((event) => markers.has(event.id));
      await waitFor(
        async () => {
          if (hasMarker(serverA) && hasMarker(serverB)) return true;
          const end = marker('user.updated');
          markers.add(end.id);
          await bus.publish(end);
          return false;
        },
        { intervalMs: 100, message: 'the markers never reached both consumers' },
      );
      const handledOnce = [...serverA.events, ...serverB.events].filter((event) => !markers.has(event.id));
      expect(ids(handledOnce)).toEqual(ids(events));
      expect(serverA.events.length).toBeGreaterThan(0);
      expect(serverB.events.length).toBeGreaterThan(0);
    });

    it('keeps a consumer’s own prefetch of deliveries in flight, no more', async () => {
      const queue = uniqueName('contract.prefetch');
      let active = 0;
      let maxActive = 0;
      let holding = true;
      const release: (() => void)[] = [];
      const handled: EventEnvelope[] = [];
      const consumer = await bus.consume(
        { queue, kind: 'shared', bindings: ['user.registered'], prefetch: 3 },
        async (event) => {
          maxActive = Math.max(maxActive, ++active);
          if (holding) await new Promise<void>((resolve) => release.push(resolve));
          active--;
          handled.push(event);
        },
      );
      const events = Array.from({ length: 8 }, (_, n) => registered(n));
      await Promise.all(events.map((event) => bus.publish(event)));
      // Release one delivery at a time once three are held: a fourth would show as maxActive 4.
      await waitFor(
        async () => {
          if (active === 3 || (handled.length + active === events.length && active > 0)) release.shift()?.();
          return handled.length === events.length;
        },
        { intervalMs: 20, message: 'not every event was handled' },
      );
      expect(maxActive).toBe(3);
      expect(ids(handled)).toEqual(ids(events));
      holding = false;
      await consumer.cancel();
    });

    it('gives each server queue its own copy, alongside a shared queue', async () => {
      const shared = recorder();
      const serverA = recorder();
      const serverB = recorder();
      const otherBus = await harness.createBus();
      await bus.consume(
        { queue: uniqueName('contract.projection'), kind: 'shared', bindings: ['user.*'] },
        shared.handler,
      );
      await bus.consume(
        { queue: uniqueName('contract.live-a'), kind: 'server', bindings: ['user.*'] },
        serverA.handler,
      );
      await otherBus.consume(
        { queue: uniqueName('contract.live-b'), kind: 'server', bindings: ['user.*'] },
        serverB.handler,
      );
      const events = [registered(1), updated(2), updated(3)];
      for (const event of events) await bus.publish(event);

      const end = marker('user.updated');
      await bus.publish(end);
      await untilMarker(end, serverA, serverB);
      await waitFor(async () => shared.events.length === 4, { message: 'the shared queue missed events' });
      shared.events.splice(
        shared.events.findIndex((e) => e.id === end.id),
        1,
      );
      for (const copy of [shared, serverA, serverB]) expect(ids(copy.events)).toEqual(ids(events));
    });

    for (const kind of ['shared', 'server'] as const) {
      it(`dead-letters an event whose handler keeps failing after ${DEFAULT_MAX_DELIVERIES} deliveries, and keeps consuming (${kind})`, async () => {
        const queue = uniqueName(`contract.poison-${kind}`);
        const poison = registered(666);
        const healthy = registered(1);
        let attempts = 0;
        const handled: EventEnvelope[] = [];
        await bus.consume({ queue, kind, bindings: ['user.registered'] }, async (event) => {
          if (event.id === poison.id) {
            attempts++;
            throw new Error('handler bug');
          }
          handled.push(event);
        });
        await bus.publish(poison);
        await bus.publish(healthy);

        await waitFor(async () => handled.some((event) => event.id === healthy.id), {
          message: 'the event after the poison was not handled',
        });
        const dead = await waitFor(
          async () => (await harness.deadLetters(queue)).find((payload) => payload.includes(poison.id)),
          {
            message: 'the failing event never reached the DLQ',
          },
        );
        expect(JSON.parse(dead)).toEqual(poison);
        expect(attempts).toBe(DEFAULT_MAX_DELIVERIES);
        // Another event after it: had the poison gone back into the queue, it would come first.
        const after = registered(2);
        await bus.publish(after);
        await waitFor(async () => handled.some((event) => event.id === after.id), { message: 'no event after it' });
        expect(attempts).toBe(DEFAULT_MAX_DELIVERIES);
      });
    }

    it('dead-letters a malformed message at once, and keeps consuming', async () => {
      const queue = uniqueName('contract.malformed');
      const received = recorder();
      await bus.consume({ queue, kind: 'shared', bindings: ['user.*'] }, received.handler);
      await harness.publishRaw('user.registered', Buffer.from('{ this is not json'));
      await harness.publishRaw('user.updated', Buffer.from(JSON.stringify({ ...updated(1), data: { userId: 42 } })));
      const valid = registered(1);
      await bus.publish(valid);

      await waitFor(async () => received.events.length === 1, { message: 'the valid event was not handled' });
      const dead = await waitFor(
        async () => {
          const payloads = await harness.deadLetters(queue);
          return payloads.length === 2 && payloads;
        },
        { message: 'malformed messages never reached the DLQ' },
      );
      expect(dead.some((payload) => payload.includes('this is not json'))).toBe(true);
      expect(received.events).toEqual([valid]);
    });

    it('stops delivering to a cancelled consumer', async () => {
      const queue = uniqueName('contract.cancel');
      const received = recorder();
      const consumer = await bus.consume({ queue, kind: 'shared', bindings: ['user.updated'] }, received.handler);
      await bus.publish(updated(1));
      await waitFor(async () => received.events.length === 1, { message: 'the first event never arrived' });
      await consumer.cancel();
      const second = updated(2);
      await bus.publish(second);
      // The next consumer of the queue gets what the cancelled one did not take.
      const successor = recorder();
      const next = await bus.consume({ queue, kind: 'shared', bindings: ['user.updated'] }, successor.handler);
      await waitFor(async () => successor.events.some((event) => event.id === second.id), {
        message: 'the event after the cancel never reached the next consumer',
      });
      expect(received.events.length).toBe(1);
      await next.cancel();
    });

    describe('streams', () => {
      const readAll = () => {
        const deliveries: { offset: number; id: string }[] = [];
        return {
          deliveries,
          handler: async ({ offset, event }: { offset: number; event: EventEnvelope }) =>
            void deliveries.push({ offset, id: event.id }),
        };
      };

      /** untilMarker for stream readers. */
      const untilStreamMarker = async (event: EventEnvelope, ...readers: ReturnType<typeof readAll>[]) => {
        await waitFor(async () => readers.every(({ deliveries }) => deliveries.some((d) => d.id === event.id)), {
          message: 'the marker never came through the stream',
        });
        for (const { deliveries } of readers)
          deliveries.splice(
            deliveries.findIndex((d) => d.id === event.id),
            1,
          );
      };

      it('retains events with contiguous offsets and reads them from the first, an offset, or the next', async () => {
        const stream = uniqueName('contract.stream');
        await bus.declareStream({ stream, bindings: ['user.*'], maxAge: '1h', maxLengthBytes: 10_000_000 });
        const events = Array.from({ length: 5 }, (_, n) => registered(n));
        for (const event of events) await bus.publish(event);
        await bus.publish(
          createEvent('post.deleted', { postId: 'p1', authorId: 'u1', createdAt: new Date().toISOString() }),
        );

        const all = readAll();
        const first = await bus.readStream(stream, 'first', all.handler);
        await waitFor(async () => all.deliveries.length === 5, { message: 'the stream did not hand back its events' });
        expect(all.deliveries.map((d) => d.id)).toEqual(events.map((event) => event.id));
        const base = all.deliveries[0]!.offset;
        expect(all.deliveries.map((d) => d.offset)).toEqual([0, 1, 2, 3, 4].map((n) => base + n));

        const fromThird = readAll();
        const middle = await bus.readStream(stream, { offset: base + 2 }, fromThird.handler);
        const onlyNew = readAll();
        const next = await bus.readStream(stream, 'next', onlyNew.handler);
        const later = registered(99);
        await bus.publish(later);
        const end = marker('user.updated');
        await bus.publish(end);
        await untilStreamMarker(end, all, fromThird, onlyNew);
        expect(fromThird.deliveries.map((d) => d.id)).toEqual([...events.slice(2), later].map((event) => event.id));
        expect(onlyNew.deliveries).toEqual([{ offset: base + 5, id: later.id }]);
        expect(all.deliveries.at(-1)).toEqual({ offset: base + 5, id: later.id });
        await Promise.all([first.cancel(), middle.cancel(), next.cancel()]);
      });

      it('reads from a point in time: what was published since, not what came well before', async () => {
        const stream = uniqueName('contract.time');
        await bus.declareStream({ stream, bindings: ['user.*'], maxAge: '1h', maxLengthBytes: 10_000_000 });
        const old = registered(1);
        await bus.publish(old);
        // Broker timestamps have a resolution of one second, and the stream seeks by chunk.
        await sleep(2_100);
        const since = new Date();
        const recent = [registered(2), registered(3)];
        for (const event of recent) await bus.publish(event);
        const got = readAll();
        const reader = await bus.readStream(stream, { timestamp: since }, got.handler);
        const end = marker('user.updated');
        await bus.publish(end);
        await untilStreamMarker(end, got);
        expect(got.deliveries.map((d) => d.id)).toEqual(recent.map((event) => event.id));
        await reader.cancel();
      });

      it('reads one event at a time, waiting for the handler (backpressure)', async () => {
        const stream = uniqueName('contract.slow');
        await bus.declareStream({ stream, bindings: ['user.*'], maxAge: '1h', maxLengthBytes: 10_000_000 });
        for (let n = 0; n < 4; n++) await bus.publish(registered(n));
        let active = 0;
        let maxActive = 0;
        const handled: number[] = [];
        const reader = await bus.readStream(
          stream,
          'first',
          async ({ offset }) => {
            maxActive = Math.max(maxActive, ++active);
            await sleep(20);
            handled.push(offset);
            active--;
          },
          { prefetch: 2 },
        );
        await waitFor(async () => handled.length === 4, { message: 'the slow reader did not finish' });
        expect(maxActive).toBe(1);
        expect(handled).toEqual([...handled].sort((a, b) => a - b));
        await reader.cancel();
      });
    });
  });
}
