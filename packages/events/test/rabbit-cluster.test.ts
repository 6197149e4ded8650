import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRabbitCluster, type RunningRabbitCluster, type RunningRabbitNode } from '@micropost/infra';
import { waitFor } from '@micropost/testing';
import { createEvent, RabbitEventBus, type EventEnvelope } from '../src/index.ts';
import { captureLogger } from './helpers.ts';

// A real three-node cluster on this machine: the server's node goes away under publishing load.
describe('RabbitEventBus on a three-node RabbitMQ cluster', () => {
  let dir: string;
  let cluster: RunningRabbitCluster | undefined;
  let bus: RabbitEventBus | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'micropost-cluster-'));
    cluster = await startRabbitCluster({ dir, log: () => {} });
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('loses no confirmed event when the node the server uses stops; consumers continue; the node rejoins', async () => {
    const { nodes } = cluster!;
    const members = async (queue: string) => {
      const output = await nodes[0]!.rabbitmqctl('list_queues', 'name', 'members', '--formatter', 'json');
      const queues = JSON.parse(output.slice(output.indexOf('['))) as { name: string; members: string[] }[];
      return queues.find((q) => q.name === queue)?.members ?? [];
    };
    bus = await RabbitEventBus.connect({
      url: `${cluster!.amqpUrl.split(',').join('/%2F,')}/%2F`,
      exchange: 'cluster.events',
      prefetch: 16,
      logger: captureLogger().logger,
      retryBaseMs: 10,
    });
    const stream = 'cluster.events.stream';
    const queue = 'cluster.projection';
    await bus.declareStream({ stream, bindings: ['user.updated'], maxAge: '1h', maxLengthBytes: 50_000_000 });
    const consumed = new Set<string>();
    await bus.consume({ queue, kind: 'shared', bindings: ['user.updated'] }, async (event) => {
      consumed.add(event.id);
    });
    const streamed: { offset: number; id: string }[] = [];
    await bus.readStream(stream, 'first', async ({ offset, event }) => {
      streamed.push({ offset, id: event.id });
    });
    // Replicated on every node (RabbitMQ 3.10 places quorum queues and streams on all members).
    expect(await members(queue)).toHaveLength(3);
    expect(await members(stream)).toHaveLength(3);

    const nodeOf = (url: string): RunningRabbitNode => nodes.find((node) => url.includes(`127.0.0.1:${node.port}/`))!;
    const victim = nodeOf(bus.node);
    expect(victim).toBeDefined();

    // Outbox-style publishing: an event counts once the broker confirmed it; a failed or
    // unconfirmed publish is retried with the same id (the outbox keeps it until confirmed).
    const total = 300;
    const confirmed: EventEnvelope[] = [];
    let failedAttempts = 0;
    let confirmedAfterStop = 0;
    let stopped = false;
    const publishing = (async () => {
      for (let n = 0; n < total; n++) {
        const event = createEvent('user.updated', {
          userId: `u${n}`,
          handle: `u${n}`,
          displayName: `User ${n}`,
          bio: '',
          avatarUrl: null,
          revision: 1,
        });
        // A bus stuck on the stopped node would never confirm again: fail rather than hang.
        const deadline = Date.now() + 20_000;
        for (;;) {
          try {
            await bus!.publish(event);
            break;
          } catch (error) {
            failedAttempts++;
            if (Date.now() > deadline) throw new Error(`event ${n} was never confirmed`, { cause: error });
            await sleep(50);
          }
        }
        confirmed.push(event);
        if (stopped) confirmedAfterStop++;
        await sleep(10); // a steady load over several seconds rather than one burst
      }
    })();

    await waitFor(async () => confirmed.length >= 100, { timeoutMs: 20_000, message: 'publishing did not start' });
    const stopping = Date.now();
    await victim.stopApp();
    stopped = true;
    const stopMs = Date.now() - stopping;
    await publishing;

    // The bus moved to another node and its consumers followed it there.
    expect(nodeOf(bus.node)).not.toBe(victim);
    expect(confirmedAfterStop).toBeGreaterThan(0);
    const missing = () => confirmed.filter((event) => !consumed.has(event.id)).length;
    await waitFor(async () => missing() === 0, {
      timeoutMs: 30_000,
      message: `confirmed events never reached the quorum-queue consumer (${missing()} of ${total} missing)`,
    });
    const streamedIds = () => new Set(streamed.map((entry) => entry.id));
    await waitFor(async () => confirmed.every((event) => streamedIds().has(event.id)), {
      timeoutMs: 30_000,
      message: 'confirmed events never reached the stream reader',
    });
    // The reader resumed after its last offset on the new node: offsets only ever go up.
    for (let i = 1; i < streamed.length; i++) expect(streamed[i]!.offset).toBeGreaterThan(streamed[i - 1]!.offset);

    // The stopped node comes back and rejoins: three running members again.
    await victim.startApp();
    const survivor = nodes.find((node) => node !== victim)!;
    await waitFor(
      async () => {
        const output = await survivor.rabbitmqctl('cluster_status', '--formatter', 'json');
        return (JSON.parse(output.slice(output.indexOf('{'))) as { running_nodes: string[] }).running_nodes.length;
      },
      { timeoutMs: 30_000, until: (running) => running === 3, message: 'the stopped node did not rejoin' },
    );
    console.log(
      `node loss: ${total} events, stop_app took ${stopMs} ms, ${failedAttempts} failed publish attempts retried, ` +
        `${confirmedAfterStop} confirmed after the stop; consumed ${consumed.size}, streamed ${streamed.length}`,
    );
  }, 120_000);
});
