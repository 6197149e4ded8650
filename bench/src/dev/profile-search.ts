// Development aid: what the search index costs on the patched FerretDB, without the servers or the
// broker. Indexes the bench's users (and some posts) through UserIndex/PostIndex with the consumer's
// concurrency, counting database commands per event, then runs the bench's search queries and lists
// the commands of one request with their durations. Not part of `npm run bench`.
//   node --import tsx bench/src/dev/profile-search.ts [users] [posts]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { startFerretDB } from '@micropost/infra';
import { PostIndex } from '../../../subgraphs/search/src/post-index.ts';
import { handleOf, postQueryTerms, userQueryWords } from '../../../subgraphs/search/src/tokenize.ts';
import { UserIndex } from '../../../subgraphs/search/src/user-index.ts';
import { FIRST, LAST, TAGS, WORDS } from '../seed.ts';

const USERS = Number(process.argv[2] ?? 10_050);
const POSTS = Number(process.argv[3] ?? 2_000);
const CONCURRENCY = 32; // AMQP_PREFETCH's default: deliveries handled at once per consumer

const dir = mkdtempSync(join(tmpdir(), 'micropost-profile-search-'));
const ferret = await startFerretDB({ dataDir: join(dir, 'ferretdb'), log: () => {} });
const client = new MongoClient(ferret.url, { monitorCommands: true, maxPoolSize: 100 });
let log: { name: string; collection: string; ms: number; detail: string }[] | null = null;
const counts = new Map<string, number>();
const started = new Map<number, { name: string; collection: string; detail: string }>();
client.on('commandStarted', (event) => {
  const command = event.command as Record<string, unknown>;
  const collection = String(command[event.commandName] ?? '');
  counts.set(event.commandName, (counts.get(event.commandName) ?? 0) + 1);
  const detail = JSON.stringify(
    command.filter ?? command.updates ?? command.deletes ?? (command.documents as unknown[] | undefined)?.length ?? '',
  ).slice(0, 110);
  started.set(event.requestId, { name: event.commandName, collection, detail });
});
client.on('commandSucceeded', (event) => {
  const begun = started.get(event.requestId);
  started.delete(event.requestId);
  if (log && begun) log.push({ ...begun, ms: event.duration });
  if (begun) busy.set(begun.name, (busy.get(begun.name) ?? 0) + event.duration);
});
/** Milliseconds spent per command name (summed over concurrent commands). */
const busy = new Map<string, number>();
const busyReport = () => Object.fromEntries([...busy].map(([name, ms]) => [name, `${(ms / 1000).toFixed(1)} s`]));

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const random = (() => {
  let seed = 42;
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
})();
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.floor(values.length * p)]!;

try {
  await client.connect();
  const db = client.db('profile_search');
  const users = await UserIndex.open(db);
  const posts = await PostIndex.open(db);

  const people = Array.from({ length: USERS }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    return {
      id: `u${String(i).padStart(6, '0')}`,
      handle: `${first}_${last}${i}`.slice(0, 30),
      displayName: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
    };
  });
  counts.clear();
  busy.clear();
  let t = performance.now();
  await pool(people, CONCURRENCY, (p) => users.apply(p.id, p.handle, p.displayName, 1));
  let seconds = (performance.now() - t) / 1000;
  console.log(
    `users: ${USERS} user.registered in ${seconds.toFixed(1)} s = ${(USERS / seconds).toFixed(0)} events/s; commands per event:`,
    Object.fromEntries([...counts].map(([name, n]) => [name, (n / USERS).toFixed(2)])),
    `user_tokens: ${await users.tokens.estimatedDocumentCount()}; time in commands:`,
    busyReport(),
  );

  const bodies = Array.from({ length: POSTS }, (_, i) => {
    const words = Array.from(
      { length: 6 + Math.floor(random() * 14) },
      () => WORDS[Math.floor(random() * WORDS.length)]!,
    );
    if (random() < 0.4) words.push(TAGS[Math.floor(random() * TAGS.length)]!);
    return { id: `p${String(i).padStart(6, '0')}`, body: words.join(' '), createdAt: new Date(1.7e12 + i * 60_000) };
  });
  counts.clear();
  busy.clear();
  t = performance.now();
  await pool(bodies, CONCURRENCY, (p) => posts.add(p.id, p.createdAt, p.body));
  seconds = (performance.now() - t) / 1000;
  console.log(
    `posts: ${POSTS} post.created in ${seconds.toFixed(1)} s = ${(POSTS / seconds).toFixed(0)} events/s; commands per event:`,
    Object.fromEntries([...counts].map(([name, n]) => [name, (n / POSTS).toFixed(2)])),
    'time in commands:',
    busyReport(),
  );

  const userQueries = FIRST.map((name) => name.slice(0, 3));
  const postQueries = [
    ...WORDS.slice(0, 20),
    ...TAGS.slice(0, 8),
    ...WORDS.slice(20, 30).map((w, i) => `${w} ${WORDS[(i * 7) % WORDS.length]}`),
  ];
  const time = async (name: string, queries: string[], run: (q: string) => Promise<unknown>) => {
    for (const q of queries.slice(0, 5)) await run(q); // warm-up
    const times: number[] = [];
    for (let round = 0; round < 3; round++)
      for (const q of queries) {
        const start = performance.now();
        await run(q);
        times.push(performance.now() - start);
      }
    console.log(
      `${name}: p50 ${percentile(times, 0.5).toFixed(1)} ms, p95 ${percentile(times, 0.95).toFixed(1)} ms (one at a time)`,
    );
    log = [];
    const start = performance.now();
    await run(queries[0]!);
    const total = performance.now() - start;
    console.log(`  one ${name} (${JSON.stringify(queries[0])}): ${total.toFixed(1)} ms, ${log.length} commands`);
    for (const entry of log)
      console.log(
        `    ${entry.ms.toFixed(1).padStart(6)} ms ${entry.name.padEnd(7)} ${entry.collection.padEnd(12)} ${entry.detail}`,
      );
    log = null;
  };
  await time('searchUsers', userQueries, (q) => users.search(userQueryWords(q), handleOf(q), 20, null));
  await time('searchPosts', postQueries, (q) => posts.search(postQueryTerms(q), 20, null));
} finally {
  await client.close();
  await ferret.stop();
  rmSync(dir, { recursive: true, force: true });
}
