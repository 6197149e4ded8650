import http from 'node:http';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { MongoClient, ObjectId } from 'mongodb';
import { AccessTokens, ForwardedIdentities, IDENTITY_HEADER, bearerToken } from '@micropost/auth';
import { createEvent, RabbitEventBus, type EventData, type EventEnvelope, type EventType } from '@micropost/events';
import { createLogger } from '@micropost/logger';
import { graphql, startTestGraph, type GraphQLResponse, waitFor, type TestGraph, type TestServices } from '@micropost/testing';
import { graphqlRequestListener, listen, maskInternalErrors, startSubgraph, UnauthenticatedError, type RunningService, type SubgraphDefinition } from '@micropost/server';
import { readSupergraph } from '@micropost/router/compose';
import { TimelineStore } from '../src/timeline-store.ts';

export const EXCHANGE = 'micropost.events';
export const QUEUE = 'feed.timelines';
export const newId = () => new ObjectId().toHexString();

/**
 * The test graph: `startTestGraph` (the real router) when the checked-in supergraph already has
 * every given subgraph, else the same subgraphs behind an @apollo/gateway over a supergraph
 * composed in memory from exactly them, authenticating as the router does (bearer token verified
 * at the edge, identity forwarded signed with INTERNAL_SECRET). The router serves only the
 * checked-in `schema/supergraph.graphql`, which the feed's engineer may not regenerate.
 */
export async function startGraph(env: Record<string, string>, definitions: readonly SubgraphDefinition<any, any>[]): Promise<TestGraph> {
  const supergraph = readSupergraph();
  if (definitions.every(({ name }) => supergraph.includes(`@join__graph(name: "${name}"`))) return startTestGraph(env, definitions);

  const started: RunningService[] = [];
  const stop = async () => {
    for (const service of started.reverse().splice(0)) await service.stop();
  };
  try {
    for (const definition of definitions) started.push(await startSubgraph(definition, { ...env, PORT: '0' }));
    const composed = composeServices(started.map((service, i) => ({ name: service.name, url: service.url, typeDefs: definitions[i]!.typeDefs })));
    if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((error) => error.message).join('; ')}`);
    const tokens = new AccessTokens(env.JWT_SECRET!, 3600);
    const identities = new ForwardedIdentities(env.INTERNAL_SECRET!);
    type Context = { forwarded: string | null };
    class Forwarding extends RemoteGraphQLDataSource<Context> {
      override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>) {
        if (context.forwarded && request.http) request.http.headers.set(IDENTITY_HEADER, context.forwarded);
      }
    }
    const logger = createLogger('test-router', 'silent');
    const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl, buildService: ({ url }) => new Forwarding({ url }) });
    const apollo = new ApolloServer<Context>({ gateway, formatError: maskInternalErrors(logger), includeStacktraceInErrorResponses: false });
    await apollo.start();
    const server = http.createServer(
      graphqlRequestListener({
        apollo,
        ready: async () => true,
        context: async (request) => {
          const token = bearerToken(request.headers.authorization);
          if (token === null) return { forwarded: null };
          const viewer = await tokens.verify(token).catch(() => {
            throw new UnauthenticatedError('The token is invalid or has expired; sign in again.', 401);
          });
          return { forwarded: await identities.sign({ userId: viewer.userId }) };
        },
      }),
    );
    const port = await listen(server, 0, '127.0.0.1');
    started.push({ name: 'router', url: `http://127.0.0.1:${port}/graphql`, port, stop: () => apollo.stop() });
    const subgraphs = Object.fromEntries(started.slice(0, -1).map((service) => [service.name, service]));
    return {
      url: started.at(-1)!.url,
      subgraphs,
      readsDuring: () => {
        throw new Error('readsDuring is not available on the in-memory test gateway');
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Registers a user through the graph; returns their id and bearer token. */
export async function register(url: string, handle: string): Promise<{ id: string; token: string }> {
  const response = await graphql(url, `mutation($h: String!) { register(handle: $h, password: "long enough password") { token user { id } } }`, { variables: { h: handle } });
  if (!response.data) throw new Error(`register failed: ${JSON.stringify(response.errors)}`);
  return { id: response.data.register.user.id, token: response.data.register.token };
}

export interface HomeFeedPage {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

export const HOME_FEED_IDS = `query($first: Int, $after: String) { homeFeed(first: $first, after: $after) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } } }`;

/** Every post id of the viewer's home feed, newest first, walking all pages. */
export async function homeFeedIds(url: string, token: string, first = 100): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const response: GraphQLResponse<{ homeFeed: HomeFeedPage }> = await graphql(url, HOME_FEED_IDS, { token, variables: { first, after } });
    if (!response.data) throw new Error(`homeFeed failed: ${JSON.stringify(response.errors)}`);
    const { edges, pageInfo } = response.data.homeFeed;
    ids.push(...edges.map((edge) => edge.node.id));
    if (!pageInfo.hasNextPage) return ids;
    after = pageInfo.endCursor;
  }
}

/** Polls the home feed until it is exactly `expected`. */
export async function waitForFeed(url: string, token: string, expected: readonly string[], message: string, timeoutMs = 15_000): Promise<void> {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await homeFeedIds(url, token);
      return JSON.stringify(last) === JSON.stringify(expected);
    },
    { message: `${message}: expected ${JSON.stringify(expected)}`, timeoutMs },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
}

/** Publishes made-up domain events straight onto the exchange. */
export class EventPublisher {
  private constructor(readonly bus: RabbitEventBus) {}

  static async connect(amqpUrl: string): Promise<EventPublisher> {
    return new EventPublisher(await RabbitEventBus.connect({ url: amqpUrl, exchange: EXCHANGE, prefetch: 1, logger: createLogger('test-publisher', 'silent') }));
  }

  async publish<T extends EventType>(type: T, data: EventData<T>, occurredAt?: Date): Promise<EventEnvelope<T>> {
    const event = createEvent(type, data);
    const envelope = (occurredAt ? { ...event, occurredAt: occurredAt.toISOString() } : event) as EventEnvelope<T>;
    await this.bus.publish(envelope as EventEnvelope);
    return envelope;
  }

  async republish(events: readonly EventEnvelope[]): Promise<void> {
    for (const event of events) await this.bus.publish(event);
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

/** A made-up post by `authorId`, `secondsAfter` a fixed epoch so orders are predictable. */
export function postData(authorId: string, secondsAfter: number, postId = newId()): EventData<'post.created'> {
  return { postId, authorId, body: `post ${postId}`, createdAt: new Date(Date.UTC(2026, 0, 1) + secondsAfter * 1000).toISOString() };
}

export interface FeedUpdatedMessage {
  id: string;
  data: EventData<'feed.updated'>;
}

/** Collects every `feed.updated` published on the exchange, through an exclusive queue. */
export class FeedUpdates {
  readonly received: FeedUpdatedMessage[] = [];
  private constructor(private readonly connection: ChannelModel) {}

  static async listen(amqpUrl: string): Promise<FeedUpdates> {
    const connection = await amqp.connect(amqpUrl);
    const channel: Channel = await connection.createChannel();
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, EXCHANGE, 'feed.updated');
    const updates = new FeedUpdates(connection);
    await channel.consume(queue, (message) => message && updates.received.push(JSON.parse(message.content.toString())), { noAck: true });
    return updates;
  }

  /** `added`/`removed` → postId → sorted userIds, merging chunks. */
  forPost(postId: string): { added: string[]; removed: string[] } {
    const merge = (kind: 'added' | 'removed') =>
      this.received
        .filter((message) => message.data.postId === postId && message.data.kind === kind)
        .flatMap((message) => message.data.userIds)
        .sort();
    return { added: merge('added'), removed: merge('removed') };
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** The feed's own database, for looking at the store directly. */
export async function openFeedStore(services: TestServices): Promise<{ client: MongoClient; timelines: TimelineStore }> {
  const client = new MongoClient(services.mongoUrl, { maxPoolSize: 1 });
  await client.connect();
  return { client, timelines: await TimelineStore.open(client.db(`${services.dbPrefix}feed`)) };
}

/** Cumulative acknowledgements on the feed's queue, from the management API (refreshed every 500 ms). */
export async function acknowledged(services: TestServices): Promise<number> {
  const queue = (await services.rabbit.listQueues(services.vhost)).find((info) => info.name === QUEUE);
  const stats = queue?.message_stats as { ack?: number } | undefined;
  return stats?.ack ?? 0;
}
