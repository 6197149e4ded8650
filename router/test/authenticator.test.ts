import { describe, expect, it } from 'vitest';
import { AccessTokens, IdentitySigner, IdentityVerifier, generateIdentityKeys } from '@micropost/auth';
import { RouterAuthenticator } from '../src/context.ts';

const tokens = new AccessTokens('j'.repeat(32), 60);
const keys = generateIdentityKeys();
const identities = new IdentityVerifier(keys.publicKey);
const authenticator = new RouterAuthenticator(tokens, new IdentitySigner(keys.privateKey));

describe('RouterAuthenticator', () => {
  it('treats a request without Authorization as signed out', async () => {
    const context = await authenticator.contextFor(undefined, 'r1');
    expect(context).toEqual({ viewer: null, requestId: 'r1', forwardedIdentity: expect.any(Function) });
    await expect(context.forwardedIdentity()).resolves.toBeNull();
  });

  it('forwards a verified viewer as an identity the subgraphs can verify', async () => {
    const context = await authenticator.contextFor(`Bearer ${await tokens.issue('u1')}`);
    expect(context.viewer).toEqual({ userId: 'u1' });
    const forwarded = await context.forwardedIdentity();
    await expect(identities.verify(forwarded!)).resolves.toEqual({ userId: 'u1' });
    expect(await context.forwardedIdentity()).toBe(forwarded); // signed once per request
  });

  it.each([
    [
      'a token signed with another secret',
      async () => `Bearer ${await new AccessTokens('x'.repeat(32), 60).issue('u1')}`,
    ],
    ['an expired token', async () => `Bearer ${await new AccessTokens('j'.repeat(32), -10).issue('u1')}`],
    [
      'a forwarded identity presented as a bearer token',
      async () => `Bearer ${await new IdentitySigner(keys.privateKey).sign({ userId: 'u1' })}`,
    ],
    ['a header that is not Bearer', async () => 'Basic dTE6cA=='],
  ])('refuses %s with UNAUTHENTICATED', async (_label, header) => {
    await expect(authenticator.contextFor(await header())).rejects.toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });
});
