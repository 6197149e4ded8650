import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, parse, print, visit, type DocumentNode } from 'graphql';
import { z } from '@micropost/config';
import { ErrorCode } from '@micropost/server';
import type { RouterContext } from './context.ts';

export const trustedDocumentsEnv = {
  /**
   * A manifest of the only operations HTTP clients may run (production): `{ "<sha256>": "<document>" }`
   * (`npm run trusted-documents -w @micropost/router` writes the web client's) or Apollo's
   * `{ "operations": [{ "id", "body" }] }`. Unset: any operation within the limits.
   */
  TRUSTED_DOCUMENTS: z.string().min(1).optional(),
};

export interface TrustedDocuments {
  /** Documents by the sha256 of their text: what a client may send as a persisted query alone. */
  readonly byHash: ReadonlyMap<string, string>;
  /** Each document printed without `__typename` fields, which clients such as Apollo Client add. */
  readonly normalized: ReadonlySet<string>;
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The document as the manifest compares it: `__typename` fields dropped, printed canonically. */
export const normalizedDocument = (document: DocumentNode) =>
  print(visit(document, { Field: (node) => (node.name.value === '__typename' && !node.alias ? null : undefined) }));

export function loadTrustedDocuments(file: string): TrustedDocuments {
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as
    | Record<string, string>
    | { operations: { id: string; body: string }[] };
  const entries: [string, string][] = Array.isArray(manifest.operations)
    ? manifest.operations.map(({ id, body }) => [id, body])
    : Object.entries(manifest as Record<string, string>);
  return {
    byHash: new Map(entries),
    normalized: new Set(entries.map(([, body]) => normalizedDocument(parse(body)))),
  };
}

/**
 * Apollo Server's persisted-query store in trusted mode: it knows the manifest's documents by
 * hash from the start and stores nothing a client registers.
 */
export function trustedDocumentCache(trusted: TrustedDocuments): {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
} {
  return {
    get: async (key) => trusted.byHash.get(key.replace(/^apq:/, '')),
    set: async () => {},
    delete: async () => {},
  };
}

/** Refuses any operation a client sends that is not one of the trusted documents (the router's own run freely). */
export function trustedDocumentsPlugin(trusted: TrustedDocuments): ApolloServerPlugin<RouterContext> {
  // Query texts already found trusted; bounded by the manifest (a few spellings of each document).
  const accepted = new Set<string>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, queryHash, contextValue }) {
          // Only HTTP requests carry a client address; live hydration runs the router's own queries.
          if (contextValue.clientAddress === undefined || accepted.has(queryHash)) return;
          if (!trusted.normalized.has(normalizedDocument(document)))
            throw new GraphQLError('This server runs trusted documents only, and this operation is not one of them.', {
              extensions: { code: ErrorCode.BAD_USER_INPUT, http: { status: 400 } },
            });
          if (accepted.size < 10 * trusted.byHash.size + 100) accepted.add(queryHash);
        },
      };
    },
  };
}
