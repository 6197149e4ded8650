import { EventPublisher } from '@micropost/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { createTestServices, errorCodes, graphql, waitFor, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '@micropost/users';
import { searchSubgraph } from '../src/subgraph.ts';
import { PostIndex } from '../src/post-index.ts';
import { UserIndex } from '../src/user-index.ts';
import { allPages, newId, postIds, SEARCH_POSTS, SEARCH_USERS, userIds } from './helpers.ts';

let services: TestServices;
let graph: TestGraph;
let publisher: EventPublisher;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph, searchSubgraph]);
  publisher = await EventPublisher.connect(services.amqpUrl);
});
afterAll(async () => {
  await publisher?.close();
  await graph?.stop();
  await services?.dispose();
});

const HOUR_MS = 3_600_000;
const T0 = Date.parse('2026-11-01T12:00:00.000Z');
const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

async function createPost(body: string, createdAt: string, postId = newId()): Promise<string> {
  await publisher.publish('post.created', { postId, authorId: 'a1', body, createdAt });
  return postId;
}

async function registerUser(handle: string, displayName: string, userId = newId()): Promise<string> {
  await publisher.publish('user.registered', { userId, handle, displayName, createdAt: new Date().toISOString() });
  return userId;
}

/** Polls until the first page of searchPosts is exactly `expected`. */
const expectPosts = (query: string, expected: string[], first?: number) =>
  waitFor(async () => JSON.stringify(await postIds(graph.url, query, first)) === JSON.stringify(expected), {
    message: `searchPosts(${query}) never returned ${JSON.stringify(expected)}`,
  });
const expectUsers = (query: string, expected: string[], first?: number) =>
  waitFor(async () => JSON.stringify(await userIds(graph.url, query, first)) === JSON.stringify(expected), {
    message: `searchUsers(${query}) never returned ${JSON.stringify(expected)}`,
  });

describe('searchPosts', () => {
  let hello: string, helloTs: string, tsOnly: string, other: string;

  beforeAll(async () => {
    hello = await createPost('Hello world, first post', at(0));
    helloTs = await createPost('Hello again from #TypeScript land', at(60_000));
    tsOnly = await createPost('typescript without the hashtag', at(2 * HOUR_MS));
    other = await createPost('Crème brûlée for everyone', at(3 * HOUR_MS));
  });

  it('finds posts by a word, case-insensitively, newest first', async () => {
    await expectPosts('hello', [helloTs, hello]);
    expect(await postIds(graph.url, 'HELLO')).toEqual([helloTs, hello]);
    expect(await postIds(graph.url, 'world')).toEqual([hello]);
  });

  it('needs every word of the query', async () => {
    await expectPosts('hello first', [hello]);
    expect(await postIds(graph.url, 'first hello')).toEqual([hello]);
    expect(await postIds(graph.url, 'hello nonexistent')).toEqual([]);
    expect(await postIds(graph.url, 'world typescript')).toEqual([]);
  });

  it('matches #tag only as a hashtag, while the word also finds the hashtag', async () => {
    await expectPosts('typescript', [tsOnly, helloTs]);
    expect(await postIds(graph.url, '#TypeScript')).toEqual([helloTs]);
    expect(await postIds(graph.url, '#typescript hello')).toEqual([helloTs]);
  });

  it('ignores accents', async () => {
    await expectPosts('creme brulee', [other]);
    expect(await postIds(graph.url, 'CRÈME')).toEqual([other]);
  });

  it('forgets a deleted post', async () => {
    const doomed = await createPost('ephemeral words here', at(4 * HOUR_MS));
    await expectPosts('ephemeral', [doomed]);
    await publisher.publish('post.deleted', { postId: doomed, authorId: 'a1', createdAt: at(4 * HOUR_MS) });
    await expectPosts('ephemeral', []);
    expect(await postIds(graph.url, 'words here')).toEqual([]);
  });

  it('pages newest first with cursors, across hours and equal timestamps', async () => {
    const ids: { id: string; t: number }[] = [];
    for (let i = 0; i < 23; i++) {
      const t = T0 - (i % 6) * HOUR_MS - Math.floor(i / 2) * 1000; // several hours, some equal timestamps
      ids.push({ id: await createPost(`paging #page item ${i}`, new Date(t).toISOString()), t });
    }
    const expected = ids.sort((a, b) => b.t - a.t || (a.id < b.id ? 1 : -1)).map((entry) => entry.id);
    await expectPosts('#page', expected.slice(0, 20));
    const { ids: paged, pages } = await allPages(graph.url, 'searchPosts', '#page', 5);
    expect(paged).toEqual(expected);
    expect(pages).toBe(5);
    const last = await graphql(graph.url, SEARCH_POSTS, { variables: { query: '#page', first: 23 } });
    expect(last.data!.searchPosts.pageInfo).toMatchObject({ hasNextPage: false });
  });

  it('indexes posts arriving together in a few commands, and never one already deleted', async () => {
    const client = new MongoClient(services.mongoUrl, { monitorCommands: true });
    let commands = 0;
    client.on('commandStarted', () => commands++);
    try {
      const index = await PostIndex.open(client.db(`${services.dbPrefix}search_post_batch`));
      await index.remove('gone', new Date(T0));
      commands = 0;
      await Promise.all([
        ...Array.from({ length: 30 }, (_, i) => index.add(`p${i}`, new Date(T0 + i * 1000), 'batched post')),
        index.add('gone', new Date(T0 + 60_000), 'batched post, deleted before'),
      ]);
      // Posts read, new ones claimed, tokens inserted, posts read again: per batch (at most four
      // batches at once), not per event (4 × 31).
      expect(commands).toBeLessThanOrEqual(4 * 4);
      const page = await index.search(['batched'], 50, null);
      expect(page.hits.map((hit) => hit.id)).toEqual(Array.from({ length: 30 }, (_, i) => `p${29 - i}`));
    } finally {
      await client.close();
    }
  });

  it('keeps a page bounded when the words are common but rarely together', async () => {
    // The store itself, with a budget of 20 postings examined per page instead of 2,000.
    const client = new MongoClient(services.mongoUrl);
    try {
      const index = await PostIndex.open(client.db(`${services.dbPrefix}search_budget`), { maxExamined: 20 });
      const both = newId();
      await index.add(both, new Date(T0 - 100 * HOUR_MS), 'alpha beta together');
      for (let i = 0; i < 30; i++) {
        await index.add(newId(), new Date(T0 - i * HOUR_MS), 'alpha alone');
        await index.add(newId(), new Date(T0 - i * HOUR_MS + 1), 'beta alone');
      }
      // The walk stops after its budget: a short (here empty) page that says where to go on.
      const firstPage = await index.search(['alpha', 'beta'], 10, null);
      expect(firstPage.hits).toEqual([]);
      expect(firstPage.resumeAt).not.toBeNull();
      const secondPage = await index.search(['alpha', 'beta'], 10, firstPage.resumeAt);
      expect(secondPage).toEqual({ hits: [{ id: both, t: T0 - 100 * HOUR_MS }], resumeAt: null });
      // One word alone needs no budget: the page is full.
      expect((await index.search(['alpha'], 25, null)).hits).toHaveLength(26);
    } finally {
      await client.close();
    }
  });
});

describe('searchUsers', () => {
  let ali: string, alice: string, alicia: string, bob: string, emile: string;

  beforeAll(async () => {
    alice = await registerUser('alice', 'Alice Liddell');
    alicia = await registerUser('alicia', 'Alicia Keys');
    ali = await registerUser('ali', 'Zed');
    bob = await registerUser('bob_smith', 'Robert Smith');
    emile = await registerUser('zola', 'Émile Zola');
    await registerUser('malice', 'Mal Ice');
  });

  it('confirms each hit against its profile, reading and confirming about one page', async () => {
    const client = new MongoClient(services.mongoUrl, { monitorCommands: true });
    const finds: { find: string; limit?: number; filter: { _id?: { $in?: string[] } } }[] = [];
    client.on('commandStarted', (event) => {
      if (event.commandName === 'find') finds.push(event.command as (typeof finds)[number]);
    });
    try {
      const index = await UserIndex.open(client.db(`${services.dbPrefix}search_confirm`));
      for (let i = 0; i < 12; i++) await index.apply(`u${i}`, `conf${String(i).padStart(2, '0')}`, 'Con Firm', 1);
      // A token left behind under an old handle (as by a rename in another process, between its
      // writes): it sorts among the first page but must not show.
      await index.tokens.insertOne({
        _id: 'conf conf02z u5 1',
        prefix: 'conf',
        userId: 'u5',
        h: 'conf02z',
        w: ' conf02z ',
      });
      finds.length = 0;
      const { hits, resumeAt } = await index.search(['conf'], null, 5, null);
      expect(hits.map((hit) => hit.id)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
      expect(resumeAt).toBeNull();
      const tokenReads = finds.filter((command) => command.find === 'user_tokens');
      expect(tokenReads.map((command) => command.limit)).toEqual([6, 1]);
      const confirmed = finds.flatMap((command) => (command.find === 'users' ? (command.filter._id?.$in ?? []) : []));
      expect(confirmed).toEqual(['u0', 'u1', 'u2', 'u5', 'u3', 'u4', 'u5']);
    } finally {
      await client.close();
    }
  });

  it('indexes profiles arriving together in a few commands, each user ending at its latest revision', async () => {
    const client = new MongoClient(services.mongoUrl, { monitorCommands: true });
    let commands = 0;
    client.on('commandStarted', () => commands++);
    try {
      const index = await UserIndex.open(client.db(`${services.dbPrefix}search_batch`));
      commands = 0;
      await Promise.all([
        ...Array.from({ length: 40 }, (_, i) => index.apply(`b${i}`, `batch${i}`, 'Batch Person', 1)),
        // Two revisions of one user in one batch: applied in call order, the rename's old tokens removed.
        index.apply('r', 'renamer', 'Old Name', 1),
        index.apply('r', 'renamer', 'New Name', 2),
      ]);
      // Profiles read, tokens inserted, profiles written: per batch (at most four at once), not per
      // event (3 × 42); 'r' twice in one batch takes a second round, and its rename a clean-up.
      expect(commands).toBeLessThanOrEqual(4 * 3 + 3 + 2);
      const page = await index.search(['batch'], null, 100, null);
      expect(page.hits).toHaveLength(40);
      expect((await index.search(['new'], null, 5, null)).hits.map((hit) => hit.id)).toEqual(['r']);
      expect((await index.search(['old'], null, 5, null)).hits).toEqual([]);
      expect(await index.tokens.countDocuments({ userId: 'r', prefix: 'old' })).toBe(0);
      expect(await index.users.findOne({ _id: 'r' })).toMatchObject({ revision: 2, stale: [] });
    } finally {
      await client.close();
    }
  });

  it('finds by handle prefix, exact handle first, then by handle', async () => {
    await expectUsers('ali', [ali, alice, alicia]);
    expect(await userIds(graph.url, 'ALIC')).toEqual([alice, alicia]);
    expect(await userIds(graph.url, '@alicia')).toEqual([alicia]);
  });

  it('finds by display-name prefixes, several words, and ignores accents', async () => {
    await expectUsers('lid', [alice]);
    expect(await userIds(graph.url, 'smith')).toEqual([bob]);
    expect(await userIds(graph.url, 'rob sm')).toEqual([bob]);
    expect(await userIds(graph.url, 'bob_smith')).toEqual([bob]);
    expect(await userIds(graph.url, 'emile')).toEqual([emile]);
    expect(await userIds(graph.url, 'Émi zo')).toEqual([emile]);
    expect(await userIds(graph.url, 'nobody')).toEqual([]);
  });

  it('reflects a rename: the old display name no longer matches', async () => {
    const userId = await registerUser('renamer', 'Oldname Person');
    await expectUsers('oldname', [userId]);
    await publisher.publish('user.updated', {
      userId,
      handle: 'renamer',
      displayName: 'Fresh Person',
      bio: '',
      avatarUrl: null,
      revision: 2,
    });
    await expectUsers('fresh', [userId]);
    expect(await userIds(graph.url, 'oldname')).toEqual([]);
    expect(await userIds(graph.url, 'old')).toEqual([]);
    expect(await userIds(graph.url, 'person')).toEqual([userId]);
    expect(await userIds(graph.url, 'renamer')).toEqual([userId]);
  });

  it('pages in ranking order with cursors', async () => {
    const exact = await registerUser('pager', 'Exact One');
    const others: { id: string; handle: string }[] = [];
    for (let i = 11; i >= 0; i--) {
      const handle = `pager_${String(i).padStart(2, '0')}`;
      others.push({ id: await registerUser(handle, `Pager ${i}`), handle });
    }
    const expected = [exact, ...others.sort((a, b) => (a.handle < b.handle ? -1 : 1)).map((user) => user.id)];
    await waitFor(async () => (await allPages(graph.url, 'searchUsers', 'pager', 100)).ids.length === 13, {
      message: 'pagers never all indexed',
    });
    const { ids, pages } = await allPages(graph.url, 'searchUsers', 'pager', 4);
    expect(ids).toEqual(expected);
    expect(pages).toBe(4);
  });
});

describe('bad input', () => {
  it.each([
    ['an empty query', { query: '' }, /empty/],
    ['a blank query', { query: '   ' }, /empty/],
    ['a query of punctuation', { query: '?!' }, /no words/],
    ['a query over 100 characters', { query: 'a'.repeat(101) }, /100 characters/],
    ['a query of more than 8 words', { query: 'a b c d e f g h i' }, /8 words/],
    ['first = 0', { query: 'hello', first: 0 }, /first/],
    ['first = 101', { query: 'hello', first: 101 }, /first/],
    ['a made-up cursor', { query: 'hello', after: 'garbage' }, /cursor/],
  ])('refuses %s with BAD_USER_INPUT on both searches', async (_label, variables, message) => {
    for (const query of [SEARCH_POSTS, SEARCH_USERS]) {
      const response = await graphql(graph.url, query, { variables });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(message);
    }
  });

  it('refuses a cursor of the other search', async () => {
    const posts = await graphql(graph.url, SEARCH_POSTS, { variables: { query: 'hello', first: 1 } });
    const users = await graphql(graph.url, SEARCH_USERS, { variables: { query: 'ali', first: 1 } });
    const postCursor = posts.data!.searchPosts.pageInfo.endCursor;
    const userCursor = users.data!.searchUsers.pageInfo.endCursor;
    expect(postCursor).toEqual(expect.any(String));
    expect(userCursor).toEqual(expect.any(String));
    expect(
      errorCodes(await graphql(graph.url, SEARCH_USERS, { variables: { query: 'ali', after: postCursor } })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      errorCodes(await graphql(graph.url, SEARCH_POSTS, { variables: { query: 'hello', after: userCursor } })),
    ).toEqual(['BAD_USER_INPUT']);
  });
});

describe('index-backed queries', () => {
  it('reads by equality on an indexed field, in index order, with a limit', async () => {
    await waitFor(
      async () => (await postIds(graph.url, 'hello')).length > 0 && (await userIds(graph.url, 'ali')).length > 0,
      { message: 'nothing indexed' },
    );
    const { reads } = await graph.readsDuring(async () => {
      await postIds(graph.url, 'hello');
      await postIds(graph.url, '#typescript hello');
      await allPages(graph.url, 'searchPosts', '#page', 5);
      await userIds(graph.url, 'ali');
      await userIds(graph.url, 'rob sm');
      await allPages(graph.url, 'searchUsers', 'pager', 4);
    });
    const commands = reads.search ?? [];
    expect(commands.length).toBeGreaterThan(5);
    expect(new Set(commands.map((command) => command.commandName))).toEqual(new Set(['find']));
    const indexed: Record<string, string> = { post_tokens: 'term', user_tokens: 'prefix', users: 'handle' };

    const client = new MongoClient(services.mongoUrl);
    try {
      const db = client.db(`${services.dbPrefix}search`);
      const ferretdb = typeof (await client.db('admin').command({ buildInfo: 1 })).ferretdbVersion === 'string';
      for (const { command } of commands) {
        const [field, ...rest] = Object.keys(command.filter);
        if (field === '_id') {
          // A batch of confirmations: `$in` on `_id`, short enough for the patched FerretDB to push down.
          expect(rest).toEqual([]);
          expect(command.filter._id.$in.length).toBeLessThanOrEqual(100);
          continue;
        }
        expect(field).toBe(indexed[command.find]);
        expect(typeof command.filter[field!]).toBe('string');
        if (command.find !== 'users') {
          const sort = command.sort instanceof Map ? Object.fromEntries(command.sort) : command.sort;
          expect(Object.keys(sort)).toEqual(['_id']);
          expect(command.limit).toBeGreaterThan(0);
        }
        const plan = await db.command({
          explain: { find: command.find, filter: command.filter, ...(command.sort ? { sort: command.sort } : {}) },
          verbosity: 'queryPlanner',
        });
        if (ferretdb) expect(plan.filterPushdown).toBe(true);
        else expect(JSON.stringify(plan.queryPlanner.winningPlan)).not.toMatch(/COLLSCAN|SORT"/);
      }
    } finally {
      await client.close();
    }
  });
});
