import amqp from 'amqplib';
import { createTestServices, graphql, startTestGraph, waitFor, type TestGraph, type TestServices } from '@micropost/testing';
import { usersSubgraph } from '@micropost/users';
import { postsSubgraph } from '../src/subgraph.ts';

export interface PostsTestGraph {
  services: TestServices;
  graph: TestGraph;
  stop(): Promise<void>;
}

/** Fresh database and vhost, and the users and posts subgraphs behind a router. */
export async function startPostsGraph(): Promise<PostsTestGraph> {
  const services = await createTestServices();
  try {
    const graph = await startTestGraph(services.env(), [usersSubgraph, postsSubgraph]);
    return {
      services,
      graph,
      stop: async () => {
        await graph.stop();
        await services.dispose();
      },
    };
  } catch (error) {
    await services.dispose();
    throw error;
  }
}

export interface TestUser {
  id: string;
  handle: string;
  token: string;
}

export async function registerUser(url: string, handle: string): Promise<TestUser> {
  const response = await graphql(url, `mutation($handle: String!) { register(handle: $handle, password: "correct horse") { token user { id handle } } }`, {
    variables: { handle },
  });
  if (response.errors) throw new Error(`register ${handle}: ${JSON.stringify(response.errors)}`);
  return { ...response.data!.register.user, token: response.data!.register.token };
}

export const CREATE_POST = /* GraphQL */ `
  mutation Create($body: String!) { createPost(body: $body) { id body createdAt likeCount viewerHasLiked author { id handle } } }`;

/** Creates a post through the router and returns it; throws on any error. */
export async function createPost(url: string, user: TestUser, body: string): Promise<{ id: string; body: string; createdAt: string }> {
  const response = await graphql(url, CREATE_POST, { token: user.token, variables: { body } });
  if (response.errors) throw new Error(`createPost: ${JSON.stringify(response.errors)}`);
  return response.data!.createPost;
}

export interface ReceivedEvent {
  routingKey: string;
  messageId: unknown;
  body: any;
}

/** An exclusive queue bound to `post.*` on the events exchange, read by polling. */
export async function openEventQueue(services: TestServices, binding = 'post.*') {
  const connection = await amqp.connect(services.amqpUrl);
  const channel = await connection.createChannel();
  const exchange = services.env().EVENTS_EXCHANGE ?? 'micropost.events';
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, exchange, binding);

  const next = async (): Promise<ReceivedEvent> => {
    const message = await waitFor(async () => (await channel.get(queue, { noAck: true })) || undefined, { message: 'no event arrived on the queue' });
    return { routingKey: message.fields.routingKey, messageId: message.properties.messageId, body: JSON.parse(message.content.toString()) };
  };
  /** Every event up to and including the first that `isLast` accepts. */
  const until = async (isLast: (event: ReceivedEvent) => boolean): Promise<ReceivedEvent[]> => {
    const events: ReceivedEvent[] = [];
    for (;;) {
      const event = await next();
      events.push(event);
      if (isLast(event)) return events;
    }
  };
  return { next, until, close: () => connection.close() };
}
