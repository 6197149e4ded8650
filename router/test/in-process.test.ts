import { afterAll, beforeAll, expect, it } from 'vitest';
import { IDENTITY_HEADER, IdentitySigner, generateIdentityKeys } from '@micropost/auth';
import { createTestServices, graphql, registerAccount, type TestServices } from '@micropost/testing';
import { loadSubgraphs } from '@micropost/app';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';

// Two servers over the same databases and secrets: one calls its co-located subgraphs in-process,
// the other over HTTP. Whatever a client sends, both must answer alike: in-process, only the
// router's verified viewer reaches a subgraph, exactly as the signed header does over HTTP.
let services: TestServices;
let env: Record<string, string>;
let inProcess: TestGraph;
let overHttp: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  env = services.env();
  const definitions = await loadSubgraphs(['users', 'posts', 'follows']);
  // Its subgraphs cannot verify a single signature of its router (another public key): each signed-in
  // answer it gives proves the call never went over HTTP.
  const elsewhere = generateIdentityKeys().publicKey;
  inProcess = await startTestGraph(
    { ...env, IN_PROCESS_SUBGRAPHS: 'all', INTERNAL_PUBLIC_KEY: elsewhere },
    definitions,
  );
  overHttp = await startTestGraph({ ...env, IN_PROCESS_SUBGRAPHS: 'none' }, definitions);
});
afterAll(async () => {
  await inProcess?.stop();
  await overHttp?.stop();
  await services?.dispose();
});

const VIEWER_QUERY = `query ($id: ID!) {
  me { id handle }
  post(id: $id) { body likeCount viewerHasLiked author { handle followerCount viewerFollows } }
}`;

it('gives the same answers in-process as over HTTP, whatever identity a client claims', async () => {
  const alice = await registerAccount(overHttp.url, 'alice_inproc');
  const bob = await registerAccount(inProcess.url, 'bob_inproc');
  const created = await graphql<{ createPost: { id: string } }>(
    inProcess.url,
    'mutation { createPost(body: "in-process or not") { id } }',
    { token: alice.token },
  );
  const postId = created.data!.createPost.id;
  expect(
    (
      await graphql(overHttp.url, 'mutation ($id: ID!) { likePost(postId: $id) { id } }', {
        token: bob.token,
        variables: { id: postId },
      })
    ).errors,
  ).toBeUndefined();
  expect(
    (
      await graphql(inProcess.url, 'mutation ($id: ID!) { follow(userId: $id) { id } }', {
        token: bob.token,
        variables: { id: alice.id },
      })
    ).errors,
  ).toBeUndefined();

  // A header signed with the servers' own key, and one signed with another: a client's claim is never believed.
  const genuine = await new IdentitySigner(env.INTERNAL_PRIVATE_KEY!).sign({ userId: bob.id });
  const foreign = await new IdentitySigner(generateIdentityKeys().privateKey).sign({ userId: bob.id });
  const cases: { name: string; token?: string; headers?: Record<string, string>; query?: string }[] = [
    { name: 'signed in', token: bob.token },
    { name: 'signed out' },
    { name: 'signed out, claiming a genuinely signed identity', headers: { [IDENTITY_HEADER]: genuine } },
    { name: 'signed out, claiming a foreign identity', headers: { [IDENTITY_HEADER]: foreign } },
    { name: 'signed in as alice, claiming to be bob', token: alice.token, headers: { [IDENTITY_HEADER]: genuine } },
    { name: 'a token that does not verify', token: `${bob.token}x` },
    {
      name: 'a write signed out, claiming bob',
      headers: { [IDENTITY_HEADER]: genuine },
      query: 'mutation { createPost(body: "forged") { id } }',
    },
  ];
  for (const { name, token, headers, query } of cases) {
    const ask = (url: string) =>
      graphql(url, query ?? VIEWER_QUERY, {
        variables: query ? {} : { id: postId },
        ...(token ? { token } : {}),
        ...(headers ? { headers } : {}),
      });
    const [local, remote] = [await ask(inProcess.url), await ask(overHttp.url)];
    expect(local, name).toEqual(remote);
  }
  // And the answers are the expected ones, not merely equal.
  const bobs = await graphql(inProcess.url, VIEWER_QUERY, { token: bob.token, variables: { id: postId } });
  expect(bobs.data).toMatchObject({
    me: { id: bob.id },
    post: {
      viewerHasLiked: true,
      likeCount: 1,
      author: { handle: 'alice_inproc', followerCount: 1, viewerFollows: true },
    },
  });
  const anonymous = await graphql(inProcess.url, VIEWER_QUERY, {
    headers: { [IDENTITY_HEADER]: genuine },
    variables: { id: postId },
  });
  expect(anonymous.data).toMatchObject({ me: null, post: { viewerHasLiked: false, author: { viewerFollows: false } } });
  const forgedWrite = await graphql(inProcess.url, 'mutation { createPost(body: "forged") { id } }', {
    headers: { [IDENTITY_HEADER]: genuine },
  });
  expect(forgedWrite.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
});
