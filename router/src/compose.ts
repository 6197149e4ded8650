import { readFileSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { schemaFile } from '../../subgraphs/registry.ts';
import { defaultSubgraphUrl, SCHEMA_ONLY_URL, SUBGRAPHS } from './subgraphs.ts';

const repoRoot = new URL('../../', import.meta.url);
export const SUPERGRAPH_FILE = new URL('schema/supergraph.graphql', repoRoot);

/** Composes every subgraph's `schema.graphql` into the supergraph SDL the router serves. */
export function composeSupergraph(): string {
  const result = composeServices(
    SUBGRAPHS.map((entry) => ({
      name: entry.name,
      url: entry.port === null ? SCHEMA_ONLY_URL : defaultSubgraphUrl(entry.port),
      typeDefs: parse(readFileSync(new URL(schemaFile(entry), repoRoot), 'utf8')),
    })),
  );
  if (result.errors)
    throw new Error(`Composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  return result.supergraphSdl;
}

export function readSupergraph(): string {
  return readFileSync(SUPERGRAPH_FILE, 'utf8');
}
