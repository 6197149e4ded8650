import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDENTITY_HEADER, IdentitySigner, generateIdentityKeys } from '@micropost/auth';
import { createTestServices, errorCodes, graphql, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '../src/subgraph.ts';

let services: TestServices;
let graph: TestGraph;
let alice: { id: string; token: string };

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph]);
  const registered = await graphql(
    graph.url,
    `mutation { register(handle: "alice", password: "alice password") { token user { id } } }`,
  );
  alice = { id: registered.data!.register.user.id, token: registered.data!.register.token };
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

/** A request sent straight to the users subgraph, bypassing the router. */
const direct = (query: string, headers: Record<string, string>) =>
  graphql(graph.subgraphs.users!.url, query, { headers });

describe('a subgraph called directly', () => {
  it('accepts the identity the router signs (the control for the cases below)', async () => {
    const signed = await new IdentitySigner(services.env().INTERNAL_PRIVATE_KEY!).sign({ userId: alice.id });
    expect((await direct(`{ me { id } }`, { [IDENTITY_HEADER]: signed })).data!.me).toEqual({ id: alice.id });
  });

  it.each([
    [
      'signed with another key',
      async () => new IdentitySigner(generateIdentityKeys().privateKey).sign({ userId: alice.id }),
    ],
    ['that is a bare user id', async () => alice.id],
    ['that is the user’s own bearer token', async () => alice.token],
  ])('refuses an identity %s, and changes nothing', async (_label, forge) => {
    const headers = { [IDENTITY_HEADER]: await forge() };
    const me = await direct(`{ me { id } }`, headers);
    expect(errorCodes(me)).toEqual(['UNAUTHENTICATED']);
    expect(me.status).toBe(401);
    const update = await direct(`mutation { updateProfile(bio: "forged") { bio } }`, headers);
    expect(errorCodes(update)).toEqual(['UNAUTHENTICATED']);
    const profile = await graphql(graph.url, `{ me { bio } }`, { token: alice.token });
    expect(profile.data!.me.bio).toBe('');
  });

  it('ignores a bearer token: only the router authenticates clients', async () => {
    expect((await direct(`{ me { id } }`, { authorization: `Bearer ${alice.token}` })).data!.me).toBeNull();
  });
});
