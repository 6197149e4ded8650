import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@micropost/logger';
import { connectMongo, subgraphDatabase } from '@micropost/mongo';
import { createTestServices, graphql, registerAccount, waitFor, type TestServices } from '@micropost/testing';
import { replayProjection } from '../src/replay.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

// `npm run replay`: a projection rebuilt from the event stream alone, into databases that never
// saw the events (a new deployment of search, say).
let services: TestServices;
let server: ServerProcess;

beforeAll(async () => {
  services = await createTestServices();
  server = await startServerProcess('server-a', services.env());
}, 120_000);
afterAll(async () => {
  await server?.stop();
  await services?.dispose();
});

describe('npm run replay', () => {
  it('rebuilds the search projection from the stream into an empty database', async () => {
    const alice = await registerAccount(server.url, 'replay_alice');
    const ids: string[] = [];
    for (const body of ['first replayed post', 'second replayed post', 'third replayed post']) {
      const response = await graphql<{ createPost: { id: string } }>(
        server.url,
        `mutation($body: String!) { createPost(body: $body) { id } }`,
        { token: alice.token, variables: { body } },
      );
      ids.push(response.data!.createPost.id);
    }
    const env = services.env();
    const prefix = `${env.MONGO_DB_PREFIX}rebuilt_`;
    const mongo = await connectMongo(env.MONGO_URL!);
    try {
      const posts = subgraphDatabase(mongo, prefix, 'search').collection<{ _id: unknown }>('posts');
      let last = { read: 0, handled: 0, failed: 0 };
      // The outbox publishes shortly after each write: replay (idempotently) until all three are in.
      await waitFor(
        async () => {
          last = await replayProjection({
            projection: 'search',
            env: { ...env, MONGO_DB_PREFIX: prefix },
            idleMs: 500,
            logger: createLogger('replay', 'silent'),
          });
          return (await posts.countDocuments()) === 3;
        },
        { timeoutMs: 30_000, message: 'the replayed search index never held the three posts' },
      );
      expect(last.failed).toBe(0);
      expect(last.handled).toBeGreaterThanOrEqual(4); // alice's registration and her three posts
      expect((await posts.find().toArray()).map((post) => String(post._id)).sort()).toEqual([...ids].sort());
    } finally {
      await mongo.close();
    }
  });
});
