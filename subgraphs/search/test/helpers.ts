import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import { graphql, waitFor, type GraphQLResponse, type TestServices } from '@micropost/testing';

export const EXCHANGE = 'micropost.events';

export const newId = () => randomBytes(12).toString('hex');

/** Bytes published as-is (no envelope validation): how a poison message reaches the queue. */
export async function publishRaw(amqpUrl: string, routingKey: string, body: Buffer): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(EXCHANGE, 'topic', { durable: true });
    channel.publish(EXCHANGE, routingKey, body, { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/** Waits until the broker counts at least `count` acknowledgements on `queue` in total. */
export async function waitForAcks(services: TestServices, queue: string, count: number): Promise<void> {
  await waitFor(
    async () => {
      const info = (await services.rabbit.listQueues(services.vhost)).find((q) => q.name === queue);
      const stats = info?.message_stats as { ack?: number } | undefined;
      return (stats?.ack ?? 0) >= count && info?.messages === 0;
    },
    { timeoutMs: 20_000, message: `${queue} never acknowledged ${count} messages` },
  );
}

export const SEARCH_POSTS = /* GraphQL */ `
  query SearchPosts($query: String!, $first: Int, $after: String) {
    searchPosts(query: $query, first: $first, after: $after) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } }
  }`;
export const SEARCH_USERS = /* GraphQL */ `
  query SearchUsers($query: String!, $first: Int, $after: String) {
    searchUsers(query: $query, first: $first, after: $after) { edges { cursor node { id } } pageInfo { endCursor hasNextPage } }
  }`;

/** Ids of the first page of searchPosts; throws on errors. */
export async function postIds(url: string, query: string, first?: number): Promise<string[]> {
  const response = await graphql(url, SEARCH_POSTS, { variables: { query, first } });
  if (response.errors) throw new Error(`searchPosts: ${JSON.stringify(response.errors)}`);
  return response.data!.searchPosts.edges.map((edge: { node: { id: string } }) => edge.node.id);
}

export async function userIds(url: string, query: string, first?: number): Promise<string[]> {
  const response = await graphql(url, SEARCH_USERS, { variables: { query, first } });
  if (response.errors) throw new Error(`searchUsers: ${JSON.stringify(response.errors)}`);
  return response.data!.searchUsers.edges.map((edge: { node: { id: string } }) => edge.node.id);
}

/** Every page of a search, following endCursor. */
export async function allPages(
  url: string,
  field: 'searchPosts' | 'searchUsers',
  query: string,
  first: number,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  for (let pages = 1; ; pages++) {
    const response: GraphQLResponse<Record<string, any>> = await graphql(
      url,
      field === 'searchPosts' ? SEARCH_POSTS : SEARCH_USERS,
      { variables: { query, first, after } },
    );
    if (response.errors) throw new Error(`${field}: ${JSON.stringify(response.errors)}`);
    const connection: {
      edges: { node: { id: string } }[];
      pageInfo: { endCursor: string | null; hasNextPage: boolean };
    } = response.data![field];
    ids.push(...connection.edges.map((edge: { node: { id: string } }) => edge.node.id));
    if (!connection.pageInfo.hasNextPage) return { ids, pages };
    after = connection.pageInfo.endCursor;
    if (pages > 1000) throw new Error('too many pages');
  }
}

/** Every document of every collection of the search database, sorted: a fingerprint of its state. */
export async function snapshot(services: TestServices): Promise<Record<string, unknown[]>> {
  const client = new MongoClient(services.mongoUrl);
  try {
    const db = client.db(`${services.dbPrefix}search`);
    const result: Record<string, unknown[]> = {};
    for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
      const docs = await db.collection(name).find({}).toArray();
      result[name] = docs
        .map((doc) => JSON.parse(JSON.stringify(doc)))
        .sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1));
    }
    return result;
  } finally {
    await client.close();
  }
}
