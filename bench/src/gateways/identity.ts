import { AccessTokens, IdentitySigner, bearerToken } from '@micropost/auth';

/**
 * What every gateway in the comparison does per request, as our router does: verify the client's
 * bearer token (HS256) and sign the identity header our subgraphs require (EdDSA, 60 s).
 */
export function identitySigner(env: NodeJS.ProcessEnv) {
  const tokens = new AccessTokens(env.JWT_SECRET!, 3600);
  const identities = new IdentitySigner(env.INTERNAL_PRIVATE_KEY!);
  return async (authorization: string | null | undefined): Promise<string | null> => {
    const token = bearerToken(authorization);
    if (token === null) return null;
    const { userId } = await tokens.verify(token);
    return identities.sign({ userId });
  };
}
