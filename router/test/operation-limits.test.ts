import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Supergraph } from '@apollo/federation-internals';
import { parse, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { readSupergraph } from '../src/compose.ts';
import {
  costLimitRule,
  isOperationLimitError,
  operationLimitsEnv,
  operationLimitsFrom,
} from '../src/limits/operation-limits.ts';
import { limitedParseAndValidate } from '../src/limits/socket-limits.ts';
import { parseEnv } from '@micropost/config';

const api: GraphQLSchema = Supergraph.build(readSupergraph()).apiSchema().toGraphQLJSSchema();
const defaults = operationLimitsFrom(parseEnv(operationLimitsEnv, {}));
const check = limitedParseAndValidate(defaults);

/** The limit errors `query` meets under the default limits (other validation errors ignored). */
function limitErrors(query: string): string[] {
  const result = check(api, query);
  if ('kind' in result) return [];
  return result.filter(isOperationLimitError).map((error) => error.message);
}

const repoRoot = new URL('../../', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every complete operation written as a string literal in the bench and the tests. */
function realOperations(): { file: string; query: string }[] {
  const dirs = [
    'bench/src',
    'app/test',
    'router/test',
    ...readdirSync(join(repoRoot, 'subgraphs')).map((name) => `subgraphs/${name}/test`),
  ];
  const literal = /(['`])\s*((?:query|mutation|subscription)\b[^'`]*|\{[^'`]*\})\s*\1/g;
  const found: { file: string; query: string }[] = [];
  for (const dir of dirs) {
    let files: string[];
    try {
      files = sourceFiles(join(repoRoot, dir));
    } catch {
      continue;
    }
    for (const file of files) {
      if (file.endsWith('operation-limits.test.ts') || file.endsWith('limits.test.ts')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(literal)) {
        // Interpolated templates are not whole operations; graphql's own validation filters the rest.
        const query = match[2]!.replace(/\$\{[^}]*\}/g, '"x"');
        try {
          if (validate(api, parse(query), specifiedRules).length === 0) found.push({ file, query });
        } catch {
          // not GraphQL
        }
      }
    }
  }
  return found;
}

describe('the default operation limits', () => {
  it('accept every operation the bench and the tests send', () => {
    const operations = realOperations();
    expect(operations.length).toBeGreaterThan(80);
    const refused = operations.filter(({ query }) => limitErrors(query).length > 0);
    expect(refused.map(({ file, query }) => ({ file, query, errors: limitErrors(query) }))).toEqual([]);
  });

  it('refuse 25 levels of nesting', () => {
    // post → author → posts → edges → node → author …: 25 levels, small pages so only depth is at stake.
    let selection = '{ id }';
    for (let i = 0; i < 6; i++) selection = `{ author { posts(first: 1) { edges { node ${selection} } } } }`;
    const query = `{ post(id: "1") ${selection} }`;
    expect(limitErrors(query).join()).toMatch(/depth limit of 10 exceeded, found 26/i);
  });

  it('refuse 500 aliases (by tokens) and 40 aliases (by aliases)', () => {
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: searchUsers(query: "x") { edges { cursor } }`).join(' ')} }`;
    expect(limitErrors(aliases(500)).join()).toMatch(/token/i);
    expect(limitErrors(aliases(40)).join()).toMatch(/alias/i);
    expect(limitErrors(aliases(10))).toEqual([]);
  });

  it('refuse three nested followers(first: 100), and count a variable `first` at the page ceiling', () => {
    const nested = (first: string) =>
      `query($n: Int) { user(handle: "a") { followers(first: ${first}) { edges { node { followers(first: ${first}) { edges { node { followers(first: ${first}) { edges { node { handle } } } } } } } } } } }`;
    const withDepth = (max: number) => limitedParseAndValidate({ ...defaults, maxDepth: max });
    const costErrors = (query: string) => {
      const result = withDepth(20)(api, query);
      return 'kind' in result ? [] : result.filter(isOperationLimitError).map((error) => error.message);
    };
    // 11 levels deep: refused by depth already; with depth allowed, cost alone refuses it.
    expect(limitErrors(nested('100')).join()).toMatch(/depth/);
    expect(costErrors(nested('100')).join()).toMatch(/too expensive/);
    expect(costErrors(nested('$n')).join()).toMatch(/too expensive/);
    expect(costErrors(nested('2'))).toEqual([]);
  });

  it('refuse too many directives', () => {
    const directives = Array.from({ length: 60 }, () => '@include(if: true)').join(' ');
    expect(limitErrors(`{ me ${directives} { id } }`).join()).toMatch(/directive/i);
  });

  it('cost: every field once per item of each enclosing page', () => {
    const cost = (query: string, max: number) => validate(api, parse(query), [costLimitRule(max)]);
    const query = `{ user(handle: "a") { followers { edges { node { handle } } } } }`;
    // user 1 + followers 1 + (edges, node, handle) × 20 (the argument's default) = 62
    expect(cost(query, 62)).toEqual([]);
    expect(
      cost(query, 61)
        .map((e) => e.message)
        .join(),
    ).toMatch(/cost 62 exceeds/);
  });
});
