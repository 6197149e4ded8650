import type { GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<Data> {
  readonly status: number;
  readonly data?: Data | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

export interface GraphQLRequestOptions {
  readonly variables?: Record<string, unknown>;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

/** POSTs one operation the way a browser client would, and returns status, data and errors. */
export async function graphql<Data = Record<string, any>>(
  url: string,
  query: string,
  options: GraphQLRequestOptions = {},
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as { data?: Data | null; errors?: GraphQLFormattedError[] };
  return { status: response.status, ...body };
}

/** The `extensions.code` of each error, in order: what assertions about failures compare. */
export function errorCodes(response: GraphQLResponse<unknown>): string[] {
  return (response.errors ?? []).map((error) => String(error.extensions?.code));
}

/** An account registered through the graph. */
export interface TestAccount {
  readonly id: string;
  readonly handle: string;
  readonly token: string;
}

/** Registers `handle` through the router (the graph must include users); throws on any error. */
export async function registerAccount(url: string, handle: string): Promise<TestAccount> {
  const response = await graphql<{ register: { token: string; user: { id: string } } }>(
    url,
    `mutation($handle: String!) { register(handle: $handle, password: "correct horse battery") { token user { id } } }`,
    { variables: { handle } },
  );
  if (response.errors || !response.data) throw new Error(`register ${handle}: ${JSON.stringify(response.errors)}`);
  return { id: response.data.register.user.id, handle, token: response.data.register.token };
}
