import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, registerAccount, type TestServices } from '@micropost/testing';
import { loadSubgraphs } from '@micropost/app';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';

// Automatic persisted queries (Apollo Server's, on by default) through our request listener: a
// client sends the hash alone once the router has seen the query, and the limits still apply.
let services: TestServices;
let graph: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), await loadSubgraphs(['users']));
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
async function post(body: unknown, token?: string) {
  const response = await fetch(graph.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
const codes = (body: Record<string, any>) => (body.errors ?? []).map((error: any) => error.extensions?.code);

it('answers a known query by its hash alone, and asks for the query it does not know', async () => {
  const account = await registerAccount(graph.url, 'apq_reader');
  const query = 'query PersistedMe { me { id handle } }';
  const hash = sha256(query);

  const unknown = await post({ extensions: persisted(hash) }, account.token);
  expect(codes(unknown.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

  const registered = await post({ query, extensions: persisted(hash) }, account.token);
  expect(registered.body).toEqual({ data: { me: { id: account.id, handle: 'apq_reader' } } });

  const byHash = await post({ extensions: persisted(hash) }, account.token);
  expect(byHash.body).toEqual({ data: { me: { id: account.id, handle: 'apq_reader' } } });
  // By hash over GET too (what a CDN could cache); Apollo's CSRF check wants a preflight-forcing header.
  const search = new URLSearchParams({ extensions: JSON.stringify(persisted(hash)) });
  const get = await fetch(`${graph.url}?${search}`, {
    headers: { authorization: `Bearer ${account.token}`, 'apollo-require-preflight': 'true' },
  });
  expect(await get.json()).toEqual({ data: { me: { id: account.id, handle: 'apq_reader' } } });
});

it('refuses a hash that does not match its query, and never stores a query the limits refuse', async () => {
  const mismatch = await post({ query: '{ me { id } }', extensions: persisted(sha256('{ me { handle } }')) });
  expect(mismatch.status).toBe(400);
  expect(mismatch.body.errors?.[0]?.message).toMatch(/provided sha does not match query/i);
  expect(codes(mismatch.body)).toEqual(['BAD_USER_INPUT']);

  let selection = 'id';
  for (let i = 0; i < 12; i++) selection = `id posts(first: 1) { edges { node { author { ${selection} } } } }`;
  const tooDeep = `{ me { ${selection} } }`;
  const refused = await post({ query: tooDeep, extensions: persisted(sha256(tooDeep)) });
  expect(codes(refused.body)).toEqual(['BAD_USER_INPUT']);
  const stillUnknown = await post({ extensions: persisted(sha256(tooDeep)) });
  expect(codes(stillUnknown.body)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
});

describe('trusted documents (TRUSTED_DOCUMENTS)', () => {
  let trustedGraph: TestGraph;
  let dir: string;
  const ME = 'query TrustedMe {\n  me {\n    id\n    handle\n  }\n}';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'micropost-trusted-'));
    const file = join(dir, 'trusted.json');
    writeFileSync(file, JSON.stringify({ [sha256(ME)]: ME }));
    trustedGraph = await startTestGraph(services.env({ TRUSTED_DOCUMENTS: file }), await loadSubgraphs(['users']));
  });
  afterAll(async () => {
    await trustedGraph?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the manifest documents (by text, with __typename added, or by hash alone) and nothing else', async () => {
    const account = await registerAccount(graph.url, 'trusted_reader');
    const ask = async (body: unknown) => {
      const response = await fetch(trustedGraph.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, any>;
    };
    const me = { me: { id: account.id, handle: 'trusted_reader' } };
    expect(await ask({ query: ME })).toEqual({ data: me });
    expect(await ask({ extensions: persisted(sha256(ME)) })).toEqual({ data: me });
    const withTypename = 'query TrustedMe { me { __typename id handle } }';
    expect((await ask({ query: withTypename })).data).toEqual({ me: { __typename: 'User', ...me.me } });

    const other = 'query Other { me { id displayName } }';
    expect(codes(await ask({ query: other }))).toEqual(['BAD_USER_INPUT']);
    // Registering it as a persisted query does not make it trusted either.
    expect(codes(await ask({ query: other, extensions: persisted(sha256(other)) }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await ask({ extensions: persisted(sha256(other)) }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });
});
