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
export async function graphql<Data = Record<string, any>>(url: string, query: string, options: GraphQLRequestOptions = {}): Promise<GraphQLResponse<Data>> {
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
