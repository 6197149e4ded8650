import amqp from 'amqplib';
import { AccessTokens, hashPassword } from '@micropost/auth';
import { createEvent, type EventEnvelope } from '@micropost/events';
import { ObjectId } from '@micropost/mongo';
import { pool, say, sleep } from './progress.ts';
import { drainsWhenConsumed, type Stack } from './stack.ts';

export interface SeedSize {
  users: number;
  /** Followers of the two fan-out authors (scenario 3): each must be < users. */
  bigAuthorFollowers: number;
  midAuthorFollowers: number;
  /** Follows per ordinary user, on average (targets Zipf-skewed: a few authors get most). */
  followsPerUser: number;
  posts: number;
  /** How long the search queues may index (from the publish) before their backlog is purged. */
  searchWaitMs: number;
  /** How long the seed waits for the other projections before it goes on without them. */
  drainTimeoutMs: number;
}

export interface SeededUser {
  id: string;
  handle: string;
  token: string;
}

export interface SeedResult {
  size: SeedSize;
  users: number;
  follows: number;
  posts: number;
  timelineEntries: number;
  /** Events purged from slow queues (search), by queue: the search index lacks these. */
  purged: Record<string, number>;
  /** Set when the projections had not caught up when the seed gave up waiting. */
  backlog: string | null;
  /** Readers for feed loads: ordinary users who follow many, with tokens. */
  readers: SeededUser[];
  /** Every seeded user (ids and handles; tokens are issued on demand). */
  all: { id: string; handle: string }[];
  bigAuthor: SeededUser;
  midAuthor: SeededUser;
  /** Words and hashtags that occur in bodies, for search queries. */
  words: string[];
  tags: string[];
  namePrefixes: string[];
  seconds: { users: number; follows: number; posts: number; projections: number; total: number };
  method: string;
}

// --- a small deterministic generator, so every run seeds the same shape ---
function rng(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Ranks 0..n-1 drawn with probability ∝ 1/(rank+1)^s (Zipf): a few ranks get most draws. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let rank = 0; rank < n; rank++) cumulative[rank] = total += 1 / (rank + 1) ** s;
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export const FIRST = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'nina',
  'oscar',
  'peggy',
  'quinn',
  'rupert',
  'sybil',
  'trent',
  'ursula',
  'victor',
  'walter',
  'xena',
  'yusuf',
  'zoe',
  'amara',
  'bruno',
  'chen',
  'dmitri',
  'elena',
  'farah',
  'goran',
  'hana',
  'ines',
  'jonas',
  'kofi',
  'lena',
  'marta',
  'noor',
  'omar',
  'priya',
];
export const LAST = [
  'smith',
  'jones',
  'garcia',
  'muller',
  'rossi',
  'kim',
  'tanaka',
  'silva',
  'novak',
  'dubois',
  'larsen',
  'okafor',
  'singh',
  'cohen',
  'haddad',
  'ivanova',
  'nguyen',
  'kowalski',
  'santos',
  'berg',
];
export const WORDS = (
  'coffee morning rain sunset train city garden music concert guitar piano river mountain hiking bike ' +
  'code release bug deploy server database cache latency graph query schema rust typescript node ' +
  'football match goal team season coach pizza pasta dinner recipe bread market book novel chapter ' +
  'movie series episode weekend holiday beach snow winter summer spring autumn photo camera light ' +
  'news election policy climate energy solar wind ocean forest bird cat dog walk park friend family'
).split(' ');
export const TAGS = [
  '#micropost',
  '#graphql',
  '#coffee',
  '#music',
  '#football',
  '#travel',
  '#photo',
  '#news',
  '#food',
  '#books',
  '#climate',
  '#devlife',
];

const BATCH = 1000;

/**
 * Seeds the data set the way the system itself would hold it, but without the API's per-request
 * costs (argon2id for every registration, one outbox relay round per write): each SOURCE store is
 * written directly in bulk — `users` (all with one shared argon2id hash), `follows` + `counts`,
 * `posts` + `authors` — and the very events those stores would have queued (`user.registered`,
 * `follow.created`, `post.created`) are published to the exchange with publisher confirms. The
 * projections (follows' known users, feed's follower projection and fan-out timelines, the search
 * index) are then built by the servers' own consumers, exactly as in production; the seed waits
 * until every shared queue has drained. Tokens are issued with the run's JWT_SECRET.
 */
export async function seed(stack: Stack, size: SeedSize): Promise<SeedResult> {
  const t0 = performance.now();
  const random = rng(42);
  const prefix = stack.dbPrefix;
  const usersDb = stack.mongo.db(`${prefix}users`);
  const followsDb = stack.mongo.db(`${prefix}follows`);
  const postsDb = stack.mongo.db(`${prefix}posts`);
  const tokens = new AccessTokens(stack.env.JWT_SECRET!, 24 * 3600);
  const purged = new Map<string, number>();

  // ---------- users ----------
  const passwordHash = await hashPassword('bench password');
  const now = Date.now();
  const users = Array.from({ length: size.users }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const _id = idAt(Math.floor((now - 30 * 86_400_000) / 1000) + i);
    return {
      _id,
      id: _id.toHexString(),
      handle: `${first}_${last}${i}`.slice(0, 30),
      displayName: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
      createdAt: new Date(now - 30 * 86_400_000 + i * 1000),
    };
  });
  say(`seed: ${users.length} users (direct insert into users.users + user.registered events)…`);
  for (let start = 0; start < users.length; start += BATCH) {
    await usersDb.collection('users').insertMany(
      users.slice(start, start + BATCH).map(({ _id, handle, displayName, createdAt }) => ({
        _id,
        handle,
        displayName,
        bio: '',
        avatarUrl: null,
        passwordHash,
        createdAt,
        revision: 1,
      })),
      { ordered: false },
    );
  }
  await publishAll(
    stack,
    users.map((user) =>
      createEvent('user.registered', {
        userId: user.id,
        handle: user.handle,
        displayName: user.displayName,
        createdAt: user.createdAt.toISOString(),
      }),
    ),
  );
  const tUsers = performance.now();

  // ---------- follows: two fan-out authors, then a Zipf-skewed graph ----------
  const edges = new Map<string, { follower: number; followee: number }>();
  const addEdge = (follower: number, followee: number) => {
    if (follower !== followee) edges.set(`${follower}:${followee}`, { follower, followee });
  };
  for (let i = 1; i <= size.bigAuthorFollowers; i++) addEdge(i, 0);
  for (let i = 2; i <= size.midAuthorFollowers + 1; i++) addEdge(i, 1);
  // Authors ranked by a shuffled order beyond the two fan-out ones, so popularity is not id order.
  const popular = zipf(size.users - 2, 1.1, random);
  for (let i = 0; i < size.users; i++) {
    const count = Math.floor(size.followsPerUser * (0.5 + random()) + random());
    for (let k = 0; k < count; k++) addEdge(i, 2 + popular());
  }
  const follows = [...edges.values()];
  const followers = new Map<number, number>();
  const following = new Map<number, number>();
  for (const { follower, followee } of follows) {
    following.set(follower, (following.get(follower) ?? 0) + 1);
    followers.set(followee, (followers.get(followee) ?? 0) + 1);
  }
  say(`seed: ${follows.length} follows (direct insert into follows.follows/counts + follow.created events)…`);
  const followTime = new Date(now - 8 * 86_400_000);
  for (let start = 0; start < follows.length; start += BATCH) {
    await followsDb.collection('follows').insertMany(
      follows.slice(start, start + BATCH).map(({ follower, followee }) => ({
        _id: new ObjectId(),
        followerId: users[follower]!._id,
        followeeId: users[followee]!._id,
        createdAt: followTime,
        counted: true,
        changedAt: followTime,
      })),
      { ordered: false },
    );
  }
  const countDocs = users
    .map((user, i) => ({ _id: user._id, followers: followers.get(i) ?? 0, following: following.get(i) ?? 0 }))
    .filter((doc) => doc.followers + doc.following > 0);
  for (let start = 0; start < countDocs.length; start += BATCH)
    await followsDb.collection('counts').insertMany(countDocs.slice(start, start + BATCH), { ordered: false });
  await publishAll(
    stack,
    follows.map(({ follower, followee }) =>
      createEvent('follow.created', {
        followerId: users[follower]!.id,
        followeeId: users[followee]!.id,
        createdAt: followTime.toISOString(),
      }),
    ),
  );
  const tFollows = performance.now();

  // ---------- posts: Zipf-skewed authors (the two fan-out authors post a little), words + hashtags ----------
  const posters = zipf(size.users - 2, 1.0, random);
  const start7d = now - 7 * 86_400_000;
  const posts = Array.from({ length: size.posts }, (_, i) => {
    // The fan-out authors post rarely (their fan-out is what scenario 3 measures): one post by the
    // big one, one in 200 by the mid one.
    const author = i === 0 ? 0 : i % 200 === 100 ? 1 : 2 + posters();
    const words = Array.from(
      { length: 6 + Math.floor(random() * 14) },
      () => WORDS[Math.floor(random() * WORDS.length)]!,
    );
    if (random() < 0.4) words.splice(Math.floor(random() * words.length), 0, TAGS[Math.floor(random() * TAGS.length)]!);
    if (random() < 0.15) words.push(TAGS[Math.floor(random() * TAGS.length)]!);
    const body = words.join(' ');
    const createdAt = new Date(start7d + Math.floor((i / size.posts) * 7 * 86_400_000));
    return {
      _id: idAt(Math.floor(createdAt.getTime() / 1000)),
      authorId: users[author]!.id,
      author,
      body: body[0]!.toUpperCase() + body.slice(1),
      createdAt,
    };
  });
  const fanOut = posts.reduce((sum, post) => sum + 1 + (followers.get(post.author) ?? 0), 0);
  say(
    `seed: ${posts.length} posts, ~${fanOut} timeline entries by fan-out (direct insert into posts.posts/authors + post.created events)…`,
  );
  for (let start = 0; start < posts.length; start += BATCH) {
    await postsDb.collection('posts').insertMany(
      posts
        .slice(start, start + BATCH)
        .map(({ _id, authorId, body, createdAt }) => ({ _id, authorId, body, createdAt, likeCount: 0 })),
      { ordered: false },
    );
  }
  const postCounts = new Map<string, number>();
  for (const post of posts) postCounts.set(post.authorId, (postCounts.get(post.authorId) ?? 0) + 1);
  const authorDocs = [...postCounts].map(([_id, postCount]) => ({ _id, postCount }));
  for (let start = 0; start < authorDocs.length; start += BATCH)
    await postsDb
      .collection<{ _id: string; postCount: number }>('authors')
      .insertMany(authorDocs.slice(start, start + BATCH));
  await publishAll(
    stack,
    posts.map((post) =>
      createEvent('post.created', {
        postId: post._id.toHexString(),
        authorId: post.authorId,
        body: post.body,
        createdAt: post.createdAt.toISOString(),
      }),
    ),
  );
  const tPosts = performance.now();
  // One queue per projection keeps each projection's events in publish order (follows before the
  // posts they fan out to); the feed also copes with any order (backfill on follow).
  say(`seed: all events published; waiting for the projections…`);
  let backlog: string | null = null;
  try {
    await drained(stack, 'projections', size.drainTimeoutMs, size.searchWaitMs, purged);
  } catch (error) {
    // Measure what there is rather than nothing; the report says the projections never caught up.
    backlog = (error as Error).message;
    say(`seed: ${backlog}; continuing with the projections as they are`);
  }
  const tDrained = performance.now();
  const timelineEntries = await stack.mongo.db(`${prefix}feed`).collection('timelines').estimatedDocumentCount();

  // Readers: ordinary users (not the two fan-out authors' ids) who follow the most.
  const readerIndexes = [...following.entries()]
    .filter(([i]) => i > 1)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 16)
    .map(([i]) => i);
  if (readerIndexes.length === 0)
    readerIndexes.push(...Array.from({ length: Math.min(16, size.users - 2) }, (_, k) => k + 2));
  const withToken = async (i: number): Promise<SeededUser> => ({
    id: users[i]!.id,
    handle: users[i]!.handle,
    token: await tokens.issue(users[i]!.id),
  });
  const seconds = {
    users: round((tUsers - t0) / 1000),
    follows: round((tFollows - tUsers) / 1000),
    posts: round((tPosts - tFollows) / 1000),
    projections: round((tDrained - tPosts) / 1000),
    total: round((tDrained - t0) / 1000),
  };
  say(
    `seed: done in ${seconds.total} s (writing and publishing users ${seconds.users} s, follows ${seconds.follows} s, posts ${seconds.posts} s; projections ${seconds.projections} s); ${timelineEntries} timeline entries`,
  );
  return {
    size,
    users: users.length,
    follows: follows.length,
    posts: posts.length,
    timelineEntries,
    purged: Object.fromEntries(purged),
    backlog,
    readers: await pool(readerIndexes, 4, withToken),
    all: users.map(({ id, handle }) => ({ id, handle })),
    bigAuthor: await withToken(0),
    midAuthor: await withToken(1),
    words: WORDS,
    tags: TAGS,
    namePrefixes: FIRST.map((name) => name.slice(0, 3)),
    seconds,
    method:
      'source stores written in bulk (users with one shared argon2id hash; follows + counts; posts + authors), their events published to RabbitMQ; ' +
      'projections (known users, follower projection, fan-out timelines, search index) built by the servers’ own consumers',
  };
}

/** A fresh ObjectId whose timestamp is `seconds`. */
const idAt = (seconds: number) => new ObjectId(ObjectId.generate(seconds));

const round = (value: number) => Math.round(value * 10) / 10;

/** Publishes with confirms, 256 in flight. */
async function publishAll(stack: Stack, events: readonly EventEnvelope[]): Promise<void> {
  await pool(events, 256, (event) => stack.bus.publish(event));
}

/** Queues whose projection the bench waits for (the rest get a bounded wait, then are purged; see `drained`). */
const REQUIRED = (name: string) => !name.startsWith('search.');

/**
 * Waits until every durable projection queue is empty, three polls in a row (the management API's
 * counters refresh every 500 ms on the private node). Search queues get at most `optionalMs` from
 * the start: their consumers index far more slowly than the others (see the bench note) and compete
 * with the feed for the database, so what is left then is purged, counted in `purged`, and the
 * search index covers only the rest.
 */
export async function drained(
  stack: Stack,
  what: string,
  timeoutMs = 300_000,
  optionalMs = 30_000,
  purged?: Map<string, number>,
): Promise<void> {
  const t0 = performance.now();
  let quiet = 0;
  let lastReport = 0;
  let optionalPurged = false;
  await sleep(1200);
  for (;;) {
    const queues = (await stack.admin.listQueues(stack.vhost)).filter(drainsWhenConsumed);
    const required = queues.filter((queue) => REQUIRED(queue.name));
    // The management counters may predate the publish: trust them only once the live count of ready
    // messages (AMQP queue.declare passive) is zero, and then for several refreshes in a row.
    if (
      quiet === 0 &&
      (await readyNow(
        stack,
        required.map((queue) => queue.name),
      )) > 0
    ) {
      quiet = -1;
    }
    // A queue's counters are absent until the broker's first statistics refresh: not yet known to be empty.
    const known = (list: typeof queues) => list.length > 0 && list.every((queue) => queue.messages !== undefined);
    const pending = (list: typeof queues) => list.reduce((sum, queue) => sum + (queue.messages ?? 0), 0);
    quiet = quiet >= 0 && known(required) && pending(required) === 0 ? quiet + 1 : 0;
    const elapsed = performance.now() - t0;
    const optional = queues.filter((queue) => !REQUIRED(queue.name));
    if (!optionalPurged && (elapsed > optionalMs || quiet >= 3)) {
      // Indexing competes with the feed for the one database: past its budget, the rest is dropped.
      optionalPurged = pending(optional) === 0 || elapsed > optionalMs;
      if (elapsed > optionalMs) {
        for (const queue of optional.filter((q) => (q.messages ?? 0) > 0)) {
          await purgeQueue(stack, queue.name);
          purged?.set(queue.name, (purged.get(queue.name) ?? 0) + (queue.messages ?? 0));
          say(
            `  …${what}: purged ${queue.messages} events from ${queue.name} (its consumer is too slow for the bench budget)`,
          );
        }
      }
    }
    if (quiet >= 3 && optionalPurged) return;
    if (elapsed - lastReport > 10_000) {
      lastReport = elapsed;
      say(
        `  …${what}: ${pending(queues)} events queued (${queues
          .filter((q) => (q.messages ?? 0) > 0)
          .map((q) => `${q.name} ${q.messages}`)
          .join(', ')})`,
      );
    }
    if (elapsed > timeoutMs)
      throw new Error(`${what} did not drain within ${timeoutMs / 1000} s (${pending(required)} events left)`);
    await sleep(600);
  }
}

/** Ready messages in these queues right now, from the broker itself (not the statistics). */
async function readyNow(stack: Stack, queues: readonly string[]): Promise<number> {
  const connection = await amqp.connect(stack.env.AMQP_URL!);
  try {
    const channel = await connection.createChannel();
    let ready = 0;
    for (const queue of queues) ready += (await channel.checkQueue(queue)).messageCount;
    return ready;
  } finally {
    await connection.close();
  }
}

async function purgeQueue(stack: Stack, queue: string): Promise<void> {
  const url = `${stack.managementUrl}/api/queues/${encodeURIComponent(stack.vhost)}/${encodeURIComponent(queue)}/contents`;
  const response = await fetch(url, {
    method: 'DELETE',
    headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
  });
  if (!response.ok && response.status !== 204) throw new Error(`purging ${queue}: HTTP ${response.status}`);
}
