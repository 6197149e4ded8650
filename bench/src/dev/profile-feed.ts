// Development aid: which database commands one homeFeed request causes, per subgraph, and how long
// each shape takes on the seeded set. Not part of `npm run bench`.
import { loadSubgraphs, startGraph } from '@micropost/app';
import { freePort } from '@micropost/infra';
import { HOME_FEED_QUERY, gql } from '../load.ts';
import { seed } from '../seed.ts';
import { startStack } from '../stack.ts';

const stack = await startStack();
try {
  const seeded = await seed(stack, {
    users: 300,
    bigAuthorFollowers: 200,
    midAuthorFollowers: 50,
    followsPerUser: 1,
    posts: 150,
    searchWaitMs: 1000,
    drainTimeoutMs: 300_000,
  });
  let log: { subgraph: string; name: string; collection: string; filter: string; at: number }[] | null = null;
  const port = await freePort();
  const graph = await startGraph({ ...process.env, ...stack.env, PORT: String(port) }, await loadSubgraphs(), {
    onMongoCommand: (subgraph, event) => {
      if (!log) return;
      const command = event.command as Record<string, unknown>;
      const collection = String(command[event.commandName] ?? '');
      const filter = JSON.stringify(command.filter ?? command.updates ?? command.deletes ?? command.query ?? '').slice(
        0,
        160,
      );
      log.push({ subgraph, name: event.commandName, collection, filter, at: performance.now() });
    },
  });
  const token = seeded.readers[0]!.token;
  for (let i = 0; i < 5; i++) await gql(graph.url, HOME_FEED_QUERY, {}, token);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    await gql(graph.url, HOME_FEED_QUERY, {}, token);
    times.push(performance.now() - t);
  }
  console.log('in-process homeFeed ms:', times.map((t) => t.toFixed(0)).join(' '));
  log = [];
  const t0 = performance.now();
  await gql(graph.url, HOME_FEED_QUERY, {}, token);
  const total = performance.now() - t0;
  const captured: NonNullable<typeof log> = log;
  log = null;
  console.log(`one homeFeed: ${total.toFixed(0)} ms, ${captured.length} commands`);
  for (const entry of captured)
    console.log(
      `+${(entry.at - t0).toFixed(0).padStart(5)} ms ${entry.subgraph.padEnd(8)} ${entry.name.padEnd(8)} ${entry.collection.padEnd(14)} ${entry.filter}`,
    );
  // Each distinct shape, timed alone with the bench's own client.
  await graph.stop();
} finally {
  await stack.stop();
}
