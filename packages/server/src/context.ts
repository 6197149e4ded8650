import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import { IDENTITY_HEADER, type IdentityVerifier, InvalidTokenError, type Identity } from '@micropost/auth';
import type { Logger } from '@micropost/logger';
import { UnauthenticatedError } from './errors.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What every subgraph resolver knows about the request it serves. */
export interface RequestContext {
  /** The signed-in user, as verified by the router; null when signed out. */
  readonly viewer: Identity | null;
  /** Follows one client request through the router, subgraphs and the events it causes. */
  readonly requestId: string;
  readonly logger: Logger;
}

/** The signed-in viewer's id; UNAUTHENTICATED when signed out. */
export function requireViewer(context: Pick<RequestContext, 'viewer'>, message?: string): string {
  if (!context.viewer) throw new UnauthenticatedError(message);
  return context.viewer.userId;
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the identity the router forwarded; a header that does not verify is refused, never ignored. */
export async function subgraphRequestContext(
  request: http.IncomingMessage,
  identities: IdentityVerifier,
  logger: Logger,
): Promise<RequestContext> {
  const requestId = header(request, REQUEST_ID_HEADER) ?? randomUUID();
  const forwarded = header(request, IDENTITY_HEADER);
  let viewer: Identity | null = null;
  if (forwarded !== undefined) {
    try {
      viewer = await identities.verify(forwarded);
    } catch (error) {
      if (!(error instanceof InvalidTokenError)) throw error;
      logger.warn({ requestId, reason: error.message }, 'refused a forwarded identity that does not verify');
      throw new UnauthenticatedError('The forwarded identity is not valid.', 401);
    }
  }
  return requestContext(viewer, requestId, logger);
}

/**
 * The one way a subgraph's request context is built from an identity the router verified: the HTTP
 * endpoint calls it after checking the forwarded header, an in-process call with the router's viewer.
 */
export function requestContext(viewer: Identity | null, requestId: string, logger: Logger): RequestContext {
  return { viewer, requestId, logger: logger.child({ requestId }) };
}
