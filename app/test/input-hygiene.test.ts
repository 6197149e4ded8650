import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestServices,
  errorCodes,
  graphql,
  registerAccount,
  type TestAccount,
  type TestServices,
} from '@micropost/testing';
import { startTestGraph, type TestGraph } from '../src/testing.ts';
import { loadSubgraphs } from '../src/app.ts';

// Every text argument of the API goes through one rule (packages/server, requireText): control
// characters are BAD_USER_INPUT, never an Internal server error from the database.
let services: TestServices;
let graph: TestGraph;
let alice: TestAccount;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), await loadSubgraphs());
  alice = await registerAccount(graph.url, 'alice');
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

const NUL = '\u0000';
const call = (query: string, variables: Record<string, unknown>, token?: string) =>
  graphql(graph.url, query, { variables, token });

const FIELDS: [string, string, (value: string) => Record<string, unknown>, boolean][] = [
  [
    'register handle',
    'mutation($v: String!) { register(handle: $v, password: "long enough") { token } }',
    (v) => ({ v }),
    false,
  ],
  [
    'register password',
    'mutation($v: String!) { register(handle: "pw_user", password: $v) { token } }',
    (v) => ({ v: `long${v}enough` }),
    false,
  ],
  [
    'register displayName',
    'mutation($v: String!) { register(handle: "dn_user", password: "long enough", displayName: $v) { token } }',
    (v) => ({ v }),
    false,
  ],
  [
    'updateProfile displayName',
    'mutation($v: String!) { updateProfile(displayName: $v) { id } }',
    (v) => ({ v }),
    true,
  ],
  ['updateProfile bio', 'mutation($v: String!) { updateProfile(bio: $v) { id } }', (v) => ({ v }), true],
  ['createPost body', 'mutation($v: String!) { createPost(body: $v) { id } }', (v) => ({ v: `hello${v}` }), true],
  [
    'searchPosts query',
    'query($v: String!) { searchPosts(query: $v) { edges { cursor } } }',
    (v) => ({ v: `word${v}` }),
    false,
  ],
  [
    'searchUsers query',
    'query($v: String!) { searchUsers(query: $v) { edges { cursor } } }',
    (v) => ({ v: `word${v}` }),
    false,
  ],
];

describe('text arguments', () => {
  for (const [label, query, variables, signedIn] of FIELDS) {
    it(`refuses U+0000 and U+001B in ${label} with BAD_USER_INPUT`, async () => {
      for (const control of [NUL, '\u001b']) {
        const response = await call(query, variables(control), signedIn ? alice.token : undefined);
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors![0]!.message).toMatch(/control characters/);
      }
    });
  }

  it('keeps tab and newline in a post body and a bio', async () => {
    const post = await call(
      'mutation($v: String!) { createPost(body: $v) { body } }',
      { v: 'one\ttwo\nthree' },
      alice.token,
    );
    expect(post.data?.createPost.body).toBe('one\ttwo\nthree');
    const profile = await call('mutation($v: String!) { updateProfile(bio: $v) { bio } }', { v: 'a\nb' }, alice.token);
    expect(profile.data?.updateProfile.bio).toBe('a\nb');
  });

  it('counts a post or a name of only invisible characters as empty', async () => {
    const invisible = ' \u200b\u200d\u2060\ufeff\u202e\u2066 ';
    const post = await call('mutation($v: String!) { createPost(body: $v) { id } }', { v: invisible }, alice.token);
    expect(errorCodes(post)).toEqual(['BAD_USER_INPUT']);
    expect(post.errors![0]!.message).toMatch(/empty/);
    const name = await call(
      'mutation($v: String!) { updateProfile(displayName: $v) { id } }',
      { v: invisible },
      alice.token,
    );
    expect(errorCodes(name)).toEqual(['BAD_USER_INPUT']);
  });

  it('counts code points alike in every field: 280 emoji are a valid post, 51 a too long name', async () => {
    const post = await call(
      'mutation($v: String!) { createPost(body: $v) { id } }',
      { v: '😀'.repeat(280) },
      alice.token,
    );
    expect(post.errors).toBeUndefined();
    const name = await call(
      'mutation($v: String!) { updateProfile(displayName: $v) { id } }',
      { v: '😀'.repeat(51) },
      alice.token,
    );
    expect(name.errors![0]!.message).toMatch(/1–50 characters; this one has 51/);
  });
});
