import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { createTestServices, graphql, startTestGraph, waitFor, type TestGraph, type TestServices } from '@micropost/testing';
import { usersSubgraph } from '../src/subgraph.ts';

let services: TestServices;
let graph: TestGraph;
let connection: ChannelModel;
let channel: Channel;
let queue: string;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph]);
  connection = await amqp.connect(services.amqpUrl);
  channel = await connection.createChannel();
  const exchange = services.env().EVENTS_EXCHANGE ?? 'micropost.events';
  await channel.assertExchange(exchange, 'topic', { durable: true });
  queue = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(queue, exchange, 'user.*');
});
afterAll(async () => {
  await connection?.close();
  await graph?.stop();
  await services?.dispose();
});

/** The next event on the test queue, polled with a deadline. */
async function nextEvent(): Promise<{ routingKey: string; messageId: unknown; body: any }> {
  const message = await waitFor(async () => (await channel.get(queue, { noAck: true })) || undefined, { message: 'no event arrived on the queue' });
  return { routingKey: message.fields.routingKey, messageId: message.properties.messageId, body: JSON.parse(message.content.toString()) };
}

describe('users events', () => {
  it('publishes user.registered with its envelope, then user.updated with the new profile', async () => {
    const registered = await graphql(graph.url, `mutation { register(handle: "frank", password: "frank password", displayName: "Frank") { token user { id createdAt } } }`, {
      headers: { 'x-request-id': 'req-register-frank' },
    });
    const { token, user } = registered.data!.register;

    const created = await nextEvent();
    expect(created.routingKey).toBe('user.registered');
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'user.registered',
      version: 1,
      occurredAt: expect.any(String),
      requestId: 'req-register-frank',
      data: { userId: user.id, handle: 'frank', displayName: 'Frank', createdAt: user.createdAt },
    });
    expect(created.messageId).toBe(created.body.id);

    await graphql(graph.url, `mutation { updateProfile(bio: "Likes trains") { id } }`, { token });
    const updated = await nextEvent();
    expect(updated.routingKey).toBe('user.updated');
    expect(updated.body.data).toEqual({ userId: user.id, handle: 'frank', displayName: 'Frank', bio: 'Likes trains', avatarUrl: null, revision: 2 });
    expect(updated.body.id).not.toBe(created.body.id);
  });

  it('publishes nothing for a registration that failed', async () => {
    await graphql(graph.url, `mutation { register(handle: "gina", password: "gina password") { token } }`);
    expect((await nextEvent()).body.data.handle).toBe('gina');
    await graphql(graph.url, `mutation { register(handle: "GINA", password: "other password") { token } }`);
    await graphql(graph.url, `mutation { register(handle: "hank", password: "hank password") { token } }`);
    // Events arrive in order, so the next one after the refused duplicate is hank's.
    expect((await nextEvent()).body.data.handle).toBe('hank');
  });
});
