import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { type AccessTokens, type IdentitySigner, InvalidTokenError, bearerToken, type Identity } from '@micropost/auth';
import { REQUEST_ID_HEADER, UnauthenticatedError } from '@micropost/server';

export interface RouterContext {
  readonly viewer: Identity | null;
  readonly requestId: string;
  /** The viewer, signed once per request for every subgraph fetch it causes; null when signed out. */
  readonly forwardedIdentity: string | null;
  /** The client's address (X-Forwarded-For from a trusted balancer), for rate limits; absent for the router's own operations. */
  readonly clientAddress?: string;
}

/** Verifies the bearer token once, at the edge; subgraphs only ever see the router's signature. */
export class RouterAuthenticator {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly identities: IdentitySigner,
  ) {}

  async contextFor(authorization: string | undefined, requestId: string = randomUUID()): Promise<RouterContext> {
    const token = bearerToken(authorization);
    if (token === null) {
      if (authorization?.trim())
        throw new UnauthenticatedError('The Authorization header must be "Bearer <token>".', 401);
      return { viewer: null, requestId, forwardedIdentity: null };
    }
    let viewer: Identity;
    try {
      viewer = { userId: (await this.tokens.verify(token)).userId };
    } catch (error) {
      if (error instanceof InvalidTokenError)
        throw new UnauthenticatedError('The token is invalid or has expired; sign in again.', 401);
      throw error;
    }
    return this.contextForViewer(viewer, requestId);
  }

  /** The context of an operation the router itself runs on someone's behalf (live hydration). */
  async contextForViewer(viewer: Identity | null, requestId: string = randomUUID()): Promise<RouterContext> {
    return { viewer, requestId, forwardedIdentity: viewer ? await this.identities.sign(viewer) : null };
  }

  contextForRequest(request: http.IncomingMessage): Promise<RouterContext> {
    const requestId = request.headers[REQUEST_ID_HEADER];
    return this.contextFor(
      request.headers.authorization,
      typeof requestId === 'string' && requestId.length <= 100 ? requestId : undefined,
    );
  }
}
