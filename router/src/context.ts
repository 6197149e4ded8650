import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { type AccessTokens, type IdentitySigner, InvalidTokenError, bearerToken, type Identity } from '@micropost/auth';
import { REQUEST_ID_HEADER, UnauthenticatedError } from '@micropost/server';

export interface RouterContext {
  readonly viewer: Identity | null;
  readonly requestId: string;
  /**
   * The viewer, signed at most once per request for every subgraph fetch over HTTP it causes (in-process
   * calls need no signature, so a request served in-process signs nothing); null when signed out.
   */
  readonly forwardedIdentity: () => Promise<string | null>;
  /** The client's address (X-Forwarded-For from a trusted balancer), for rate limits; absent for the router's own operations. */
  readonly clientAddress?: string;
}

const signedOut = async () => null;

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
      return { viewer: null, requestId, forwardedIdentity: signedOut };
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
    if (!viewer) return { viewer, requestId, forwardedIdentity: signedOut };
    let signed: Promise<string> | undefined;
    return { viewer, requestId, forwardedIdentity: () => (signed ??= this.identities.sign(viewer)) };
  }

  contextForRequest(request: http.IncomingMessage): Promise<RouterContext> {
    const requestId = request.headers[REQUEST_ID_HEADER];
    return this.contextFor(
      request.headers.authorization,
      typeof requestId === 'string' && requestId.length <= 100 ? requestId : undefined,
    );
  }
}
