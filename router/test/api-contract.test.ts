import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Supergraph } from '@apollo/federation-internals';
import { buildSchema, GraphQLEnumType, GraphQLObjectType, GraphQLScalarType, type GraphQLSchema } from 'graphql';
import { readSupergraph } from '../src/compose.ts';

/** The client-facing contract, kept beside the repository (shared/ is read-only for the project). */
const CONTRACT = new URL('../../../shared/api.graphql', import.meta.url);

/** Every field of every object type as `Type.field(arg: T, …): T`, and every enum value. */
function signatures(schema: GraphQLSchema): Set<string> {
  const lines = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (type instanceof GraphQLObjectType) {
      for (const field of Object.values(type.getFields())) {
        const args = field.args.map(
          (arg) =>
            `${arg.name}: ${String(arg.type)}${arg.defaultValue === undefined ? '' : ` = ${JSON.stringify(arg.defaultValue)}`}`,
        );
        lines.add(`${type.name}.${field.name}(${args.join(', ')}): ${String(field.type)}`);
      }
    } else if (type instanceof GraphQLEnumType) {
      for (const value of type.getValues()) lines.add(`enum ${type.name}.${value.name}`);
    } else if (type instanceof GraphQLScalarType) {
      lines.add(`scalar ${type.name}`);
    }
  }
  return lines;
}

describe('the composed API schema', () => {
  it('has every type, field, argument and nullability of the API contract', () => {
    // A missing contract is a broken checkout, not a reason to pass.
    expect(existsSync(CONTRACT), `the API contract is missing: ${CONTRACT.pathname}`).toBe(true);
    const api = Supergraph.build(readSupergraph()).apiSchema().toGraphQLJSSchema();
    const contract = buildSchema(readFileSync(CONTRACT, 'utf8'));
    const provided = signatures(api);
    const missing = [...signatures(contract)].filter((line) => !provided.has(line));
    expect(missing).toEqual([]);
  });
});
