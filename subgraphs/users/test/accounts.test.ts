import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServices, errorCodes, graphql, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '../src/subgraph.ts';

const REGISTER = /* GraphQL */ `
  mutation Register($handle: String!, $password: String!, $displayName: String) {
    register(handle: $handle, password: $password, displayName: $displayName) { token user { id handle displayName bio avatarUrl createdAt } }
  }`;
const LOGIN = /* GraphQL */ `
  mutation Login($handle: String!, $password: String!) { login(handle: $handle, password: $password) { token user { id handle } } }`;
const ME = /* GraphQL */ `query { me { id handle displayName bio avatarUrl } }`;
const UPDATE_PROFILE = /* GraphQL */ `
  mutation Update($displayName: String, $bio: String, $avatarUrl: String) {
    updateProfile(displayName: $displayName, bio: $bio, avatarUrl: $avatarUrl) { id displayName bio avatarUrl }
  }`;

let services: TestServices;
let graph: TestGraph;

beforeAll(async () => {
  services = await createTestServices();
  graph = await startTestGraph(services.env(), [usersSubgraph]);
});
afterAll(async () => {
  await graph?.stop();
  await services?.dispose();
});

const register = (handle: string, password = 'correct horse', displayName?: string) =>
  graphql(graph.url, REGISTER, { variables: { handle, password, displayName } });

describe('accounts through the router', () => {
  it('registers, logs in and answers `me` for the token', async () => {
    const registered = await register('alice', 'correct horse', 'Alice A.');
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.register.user).toMatchObject({
      handle: 'alice',
      displayName: 'Alice A.',
      bio: '',
      avatarUrl: null,
    });
    expect(new Date(registered.data!.register.user.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const login = await graphql(graph.url, LOGIN, { variables: { handle: 'ALICE', password: 'correct horse' } });
    expect(login.errors).toBeUndefined();
    expect(login.data!.login.user.id).toBe(registered.data!.register.user.id);

    const me = await graphql(graph.url, ME, { token: login.data!.login.token });
    expect(me.data!.me).toMatchObject({
      id: registered.data!.register.user.id,
      handle: 'alice',
      displayName: 'Alice A.',
    });
    expect((await graphql(graph.url, ME)).data!.me).toBeNull();
  });

  it('stores handles lowercase, finds them in any case, and defaults the display name to the handle', async () => {
    const registered = await register('Bob_Smith');
    expect(registered.data!.register.user).toMatchObject({ handle: 'bob_smith', displayName: 'bob_smith' });
    const byHandle = await graphql(graph.url, `query { user(handle: "BOB_smith") { id handle } }`);
    expect(byHandle.data!.user.id).toBe(registered.data!.register.user.id);
    const byId = await graphql(graph.url, `query($id: ID!) { user(id: $id) { handle } }`, {
      variables: { id: registered.data!.register.user.id },
    });
    expect(byId.data!.user.handle).toBe('bob_smith');
    expect((await graphql(graph.url, `query { user(handle: "nobody_here") { id } }`)).data!.user).toBeNull();
    expect((await graphql(graph.url, `query { user(id: "not-an-id") { id } }`)).data!.user).toBeNull();
    expect(errorCodes(await graphql(graph.url, `query { user { id } }`))).toEqual(['BAD_USER_INPUT']);
  });

  it.each(['ab', 'x'.repeat(31), 'with space', 'dash-ed', 'émile'])(
    'refuses the handle %j with BAD_USER_INPUT',
    async (handle) => {
      const response = await register(handle);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/3–30 characters/);
    },
  );

  it('refuses a short password with BAD_USER_INPUT', async () => {
    expect(errorCodes(await register('shortpass', 'short'))).toEqual(['BAD_USER_INPUT']);
  });

  it('answers CONFLICT for a taken handle, whatever its case, and keeps the first account', async () => {
    expect((await register('carol', 'first password')).errors).toBeUndefined();
    const again = await register('CAROL', 'second password');
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(
      (await graphql(graph.url, LOGIN, { variables: { handle: 'carol', password: 'first password' } })).errors,
    ).toBeUndefined();
  });

  it('gives the same error for a wrong password and for an unknown handle', async () => {
    await register('dave', 'dave password');
    const wrongPassword = await graphql(graph.url, LOGIN, {
      variables: { handle: 'dave', password: 'not dave password' },
    });
    const unknownHandle = await graphql(graph.url, LOGIN, {
      variables: { handle: 'nobody_at_all', password: 'dave password' },
    });
    const invalidHandle = await graphql(graph.url, LOGIN, { variables: { handle: '!!', password: 'dave password' } });
    expect(errorCodes(wrongPassword)).toEqual(['UNAUTHENTICATED']);
    expect(unknownHandle.errors).toEqual(wrongPassword.errors);
    expect(invalidHandle.errors).toEqual(wrongPassword.errors);
    expect(unknownHandle.status).toBe(wrongPassword.status);
  });

  it('requires sign-in to update a profile, and leaves null fields as they are', async () => {
    expect(errorCodes(await graphql(graph.url, UPDATE_PROFILE, { variables: { bio: 'hi' } }))).toEqual([
      'UNAUTHENTICATED',
    ]);

    const { token } = (await register('erin', 'erin password', 'Erin')).data!.register;
    const first = await graphql(graph.url, UPDATE_PROFILE, {
      token,
      variables: { bio: '  Hello there  ', avatarUrl: 'https://img.example.com/erin.png' },
    });
    expect(first.data!.updateProfile).toMatchObject({
      displayName: 'Erin',
      bio: 'Hello there',
      avatarUrl: 'https://img.example.com/erin.png',
    });
    const second = await graphql(graph.url, UPDATE_PROFILE, {
      token,
      variables: { displayName: 'Erin E.', avatarUrl: '' },
    });
    expect(second.data!.updateProfile).toMatchObject({ displayName: 'Erin E.', bio: 'Hello there', avatarUrl: null });
    expect((await graphql(graph.url, ME, { token })).data!.me).toMatchObject({
      displayName: 'Erin E.',
      bio: 'Hello there',
      avatarUrl: null,
    });
    expect(
      errorCodes(await graphql(graph.url, UPDATE_PROFILE, { token, variables: { bio: 'x'.repeat(161) } })),
    ).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses an invalid bearer token with UNAUTHENTICATED', async () => {
    const response = await graphql(graph.url, ME, { token: 'not.a.token' });
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
    expect(response.status).toBe(401);
  });
});
