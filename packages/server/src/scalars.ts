import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

function toDate(value: unknown): Date {
  const date =
    value instanceof Date ? value : new Date(typeof value === 'string' || typeof value === 'number' ? value : NaN);
  if (Number.isNaN(date.getTime()))
    throw new GraphQLError('DateTime must be an ISO-8601 date-time string', { extensions: { code: 'BAD_USER_INPUT' } });
  return date;
}

/** ISO-8601 UTC strings on the wire, `Date` inside. Every subgraph that declares `DateTime` uses this. */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 UTC string, e.g. "2026-11-29T10:15:00.000Z"',
  serialize: (value) => toDate(value).toISOString(),
  parseValue: toDate,
  parseLiteral: (ast) => {
    if (ast.kind !== Kind.STRING)
      throw new GraphQLError('DateTime must be a string', { extensions: { code: 'BAD_USER_INPUT' } });
    return toDate(ast.value);
  },
});
