import { MongoClient, ObjectId } from 'mongodb';
import type { EventData } from '@micropost/events';
import {
  graphql,
  tapEvents,
  waitFor,
  type EventTap,
  type GraphQLResponse,
  type TestServices,
} from '@micropost/testing';
import { TimelineStore } from '../src/timeline-store.ts';

export const EXCHANGE = 'micropost.events';
export const QUEUE = 'feed.timelines';
export const newId = () => new ObjectId().toHexString();

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
    const response: GraphQLResponse<{ homeFeed: HomeFeedPage }> = await graphql(url, HOME_FEED_IDS, {
      token,
      variables: { first, after },
    });
    if (!response.data) throw new Error(`homeFeed failed: ${JSON.stringify(response.errors)}`);
    const { edges, pageInfo } = response.data.homeFeed;
    ids.push(...edges.map((edge) => edge.node.id));
    if (!pageInfo.hasNextPage) return ids;
    after = pageInfo.endCursor;
  }
}

/** Polls the home feed until it is exactly `expected`. */
export async function waitForFeed(
  url: string,
  token: string,
  expected: readonly string[],
  message: string,
  timeoutMs = 15_000,
): Promise<void> {
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

export { EventPublisher } from '@micropost/testing';

/** A made-up post by `authorId`, `secondsAfter` a fixed epoch so orders are predictable. */
export function postData(authorId: string, secondsAfter: number, postId = newId()): EventData<'post.created'> {
  return {
    postId,
    authorId,
    body: `post ${postId}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + secondsAfter * 1000).toISOString(),
  };
}

export interface FeedUpdatedMessage {
  id: string;
  data: EventData<'feed.updated'>;
}

/** Collects every `feed.updated` published on the exchange. */
export class FeedUpdates {
  private constructor(private readonly tap: EventTap) {}

  static async listen(amqpUrl: string): Promise<FeedUpdates> {
    return new FeedUpdates(await tapEvents(amqpUrl, 'feed.updated', EXCHANGE));
  }

  get received(): readonly FeedUpdatedMessage[] {
    return this.tap.received.map((event) => event.body as FeedUpdatedMessage);
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
    return this.tap.close();
  }
}

/** The feed's own database, for looking at the store directly. */
export async function openFeedStore(
  services: TestServices,
): Promise<{ client: MongoClient; timelines: TimelineStore }> {
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

/** Waits until the feed's queue has acknowledged at least `count` deliveries in all (management API counters). */
export async function waitForAcks(services: TestServices, count: number, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await acknowledged(services)) >= count, {
    message: `the feed did not acknowledge ${count} events`,
    timeoutMs,
    intervalMs: 250,
  });
}
