import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, waitFor, type TestServices, startTcpProxy } from '@micropost/testing';
import { createEvent, RabbitEventBus, type EventBus, type EventEnvelope } from '../src/index.ts';
import { eventBusContract } from './event-bus.contract.ts';
import { captureLogger, closeConnections, hostPort, uniqueName } from './helpers.ts';

const connectBus = (
  services: TestServices,
  exchange: string,
  extra: Partial<Parameters<typeof RabbitEventBus.connect>[0]> = {},
) =>
  RabbitEventBus.connect({
    url: services.amqpUrl,
    exchange,
    prefetch: 8,
    logger: captureLogger().logger,
    retryBaseMs: 10,
    ...extra,
  });

eventBusContract('RabbitEventBus', async () => {
  const services = await createTestServices();
  const exchange = 'contract.events';
  const buses: EventBus[] = [];
  return {
    createBus: async () => {
      const bus = await connectBus(services, exchange);
      buses.push(bus);
      return bus;
    },
    deadLetters: async (queue) => {
      const messages = await services.rabbit.getMessages(services.vhost, `${queue}.dlq`, 100).catch(() => []);
      return messages.map((message) =>
        message.payload_encoding === 'base64' ? Buffer.from(message.payload, 'base64').toString() : message.payload,
      );
    },
    // Straight through amqplib, bypassing the bus's own serialization.
    publishRaw: async (routingKey, body) => {
      const connection = await amqp.connect(services.amqpUrl);
      try {
        const channel = await connection.createConfirmChannel();
        channel.publish(exchange, routingKey, body, { persistent: true });
        await channel.waitForConfirms();
      } finally {
        await connection.close();
      }
    },
    dispose: async () => {
      await Promise.all(buses.map((bus) => bus.close()));
      await services.dispose();
    },
  };
});

describe('RabbitEventBus on a real broker', () => {
  let services: TestServices;
  const exchange = 'rabbit.events';
  const open: EventBus[] = [];
  const track = <T extends EventBus>(bus: T) => {
    open.push(bus);
    return bus;
  };

  beforeAll(async () => {
    services = await createTestServices();
  });
  afterAll(async () => {
    await Promise.all(open.map((bus) => bus.close()));
    await services?.dispose();
  });

  const userUpdated = (n: number) =>
    createEvent('user.updated', {
      userId: `u${n}`,
      handle: `h${n}`,
      displayName: `U${n}`,
      bio: '',
      avatarUrl: null,
      revision: 1,
    });

  it('declares a durable quorum queue with a delivery limit and its DLQ', async () => {
    const bus = track(await connectBus(services, exchange));
    const queue = uniqueName('topology');
    await bus.consume({ queue, kind: 'shared', bindings: ['user.*'] }, async () => {});
    const queues = await services.rabbit.listQueues(services.vhost);
    const main = queues.find((q) => q.name === queue);
    expect(main?.durable).toBe(true);
    expect(main?.arguments).toMatchObject({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 5,
      'x-dead-letter-exchange': `${exchange}.dlx`,
    });
    expect(queues.find((q) => q.name === `${queue}.dlq`)?.durable).toBe(true);
  });

  it('resumes consuming and publishing after the broker force-closes its connection', async () => {
    const bus = track(await connectBus(services, exchange));
    const shared: EventEnvelope[] = [];
    const live: EventEnvelope[] = [];
    await bus.consume(
      { queue: uniqueName('resume.shared'), kind: 'shared', bindings: ['user.updated'] },
      async (event) => void shared.push(event),
    );
    await bus.consume(
      { queue: uniqueName('resume.live'), kind: 'server', bindings: ['user.updated'] },
      async (event) => void live.push(event),
    );
    await bus.publish(userUpdated(1));
    await waitFor(async () => shared.length === 1 && live.length === 1, { message: 'the first event never arrived' });

    // The management API lists a connection only after its next statistics tick.
    await waitFor(async () => (await closeConnections(services.rabbit, services.vhost)) > 0, {
      message: 'no connection to close',
    });

    const after = userUpdated(2);
    await waitFor(
      async () => {
        await bus.publish(after);
        return true;
      },
      { timeoutMs: 20_000, message: 'publishing never recovered' },
    );
    await waitFor(async () => shared.some((e) => e.id === after.id) && live.some((e) => e.id === after.id), {
      timeoutMs: 20_000,
      message: 'consumers did not resume after the connection was closed',
    });
  });

  it('declares a stream with its retention, and keeps an existing one declared with other retention', async () => {
    const bus = track(await connectBus(services, exchange));
    const stream = uniqueName('stream.topology');
    await bus.declareStream({ stream, bindings: ['user.*'], maxAge: '2h', maxLengthBytes: 5_000_000 });
    const declared = (await services.rabbit.listQueues(services.vhost)).find((q) => q.name === stream);
    expect(declared?.arguments).toMatchObject({
      'x-queue-type': 'stream',
      'x-max-age': '2h',
      'x-max-length-bytes': 5_000_000,
    });
    const other = track(await connectBus(services, exchange));
    await other.declareStream({ stream, bindings: ['post.*'], maxAge: '1D', maxLengthBytes: 1_000 });
    // Still usable: the new binding applies, and the bus still publishes.
    const received: string[] = [];
    const reader = await other.readStream(stream, 'next', async ({ event }) => void received.push(event.type));
    await other.publish(createEvent('post.deleted', { postId: 'p', authorId: 'a', createdAt: '2026-01-01T00:00:00Z' }));
    await waitFor(async () => received.length === 1, { message: 'the redeclared stream did not deliver' });
    await reader.cancel();
  });

  it('resumes a stream reader after the broker force-closes its connection, without gap or repeat', async () => {
    const bus = track(await connectBus(services, exchange));
    const stream = uniqueName('stream.reconnect');
    await bus.declareStream({ stream, bindings: ['user.updated'], maxAge: '1h', maxLengthBytes: 10_000_000 });
    const before = Array.from({ length: 5 }, (_, n) => userUpdated(n));
    for (const event of before) await bus.publish(event);
    const received: { offset: number; id: string }[] = [];
    const reader = await bus.readStream(stream, 'first', async ({ offset, event }) => {
      received.push({ offset, id: event.id });
    });
    await waitFor(async () => received.length === 5, { message: 'the reader did not read the stream' });
    await waitFor(async () => (await closeConnections(services.rabbit, services.vhost)) > 0, {
      message: 'no connection to close',
    });
    const after = Array.from({ length: 5 }, (_, n) => userUpdated(10 + n));
    for (const event of after)
      await waitFor(
        async () => {
          await bus.publish(event);
          return true;
        },
        { timeoutMs: 20_000, message: 'publishing never recovered' },
      );
    await waitFor(async () => received.length >= 10, { timeoutMs: 20_000, message: 'the reader did not resume' });
    expect(received.map((r) => r.id)).toEqual([...before, ...after].map((event) => event.id));
    expect(received.map((r) => r.offset)).toEqual(received.map((_, i) => received[0]!.offset + i));
    await reader.cancel();
  });

  it('rejects a publish within its bound while the broker is unreachable, and publishes again once it is back', async () => {
    const { host, port } = hostPort(services.amqpUrl);
    const proxy = await startTcpProxy(host, port);
    try {
      const bus = track(
        await connectBus(services, exchange, {
          url: proxy.rewriteUrl(services.amqpUrl),
          publishTimeoutMs: 500,
          maxReconnectDelayMs: 300,
        }),
      );
      const received: EventEnvelope[] = [];
      await bus.consume(
        { queue: uniqueName('unreachable'), kind: 'shared', bindings: ['user.updated'] },
        async (event) => void received.push(event),
      );

      proxy.pause();
      const started = Date.now();
      await expect(bus.publish(userUpdated(1))).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(2_000);

      proxy.resume();
      const event = userUpdated(2);
      await waitFor(
        async () => {
          await bus.publish(event);
          return true;
        },
        {
          timeoutMs: 15_000,
          message: 'publishing never recovered',
        },
      );
      await waitFor(async () => received.some((e) => e.id === event.id), {
        timeoutMs: 15_000,
        message: 'the consumer did not come back',
      });
    } finally {
      await proxy.close();
    }
  });

  it('fails start-up with a clear error when the broker cannot be reached', async () => {
    const proxy = await startTcpProxy('127.0.0.1', 1);
    proxy.pause();
    try {
      await expect(
        connectBus(services, exchange, { url: proxy.rewriteUrl(services.amqpUrl), initialMaxRetries: 1 }),
      ).rejects.toThrow(/cannot connect to RabbitMQ/);
    } finally {
      await proxy.close();
    }
  });
});
