import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { Kind, type FieldNode, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '@micropost/logger';
import type { RouterContext } from '../context.ts';
import type { RateLimits } from './rate-limits.ts';

/** Root mutations that change someone's data, counted per user. */
export const WRITE_MUTATIONS = new Set([
  'createPost',
  'deletePost',
  'likePost',
  'unlikePost',
  'follow',
  'unfollow',
  'updateProfile',
]);

function rootFields(operation: OperationDefinitionNode | undefined, name: string): FieldNode[] {
  if (operation?.operation !== 'mutation') return [];
  return operation.selectionSet.selections.filter(
    (selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === name,
  );
}

/** The string value of `argument` on `field`, literal or variable; null when absent or not a string. */
function stringArgument(field: FieldNode, argument: string, variables: Record<string, unknown> | undefined) {
  const value = field.arguments?.find((arg) => arg.name.value === argument)?.value;
  if (value?.kind === Kind.STRING) return value.value;
  if (value?.kind === Kind.VARIABLE) {
    const given = variables?.[value.name.value];
    return typeof given === 'string' ? given : null;
  }
  return null;
}

/** Handles are case-insensitive: `Alice` and `alice` share one allowance. */
const accountKey = (handle: string) => handle.trim().toLowerCase();

/**
 * The per-operation rate limits, checked once the operation is known and before it runs (a refusal
 * is HTTP 429 with Retry-After): registrations per address, writes per user, and logins refused
 * while the account or the address has spent its failures. A login answered UNAUTHENTICATED counts
 * one failure for both; a successful one clears its account's.
 */
export function rateLimitPlugin(limits: RateLimits, logger: Logger): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request, contextValue }) {
          const address = contextValue.clientAddress;
          const registrations = rootFields(operation, 'register').length;
          if (registrations > 0 && address) {
            const refusal = await limits.consume('register', address, registrations);
            if (refusal) throw refusal;
          }
          const writes =
            operation?.operation === 'mutation'
              ? operation.selectionSet.selections.filter(
                  (s) => s.kind === Kind.FIELD && WRITE_MUTATIONS.has(s.name.value),
                ).length
              : 0;
          if (writes > 0 && contextValue.viewer) {
            const refusal = await limits.consume('writes', contextValue.viewer.userId, writes);
            if (refusal) throw refusal;
          }
          for (const login of rootFields(operation, 'login')) {
            const handle = stringArgument(login, 'handle', request.variables);
            const refusal =
              (address ? await limits.blocked('loginAddress', address) : null) ??
              (handle ? await limits.blocked('loginAccount', accountKey(handle)) : null);
            if (refusal) throw refusal;
          }
        },
        async willSendResponse(requestContext) {
          const logins = rootFields(requestContext.operation, 'login');
          if (logins.length === 0) return;
          await countLoginOutcomes(limits, requestContext, logins).catch((err: unknown) =>
            logger.error({ err }, 'could not count a login attempt'),
          );
        },
      };
    },
  };
}

async function countLoginOutcomes(
  limits: RateLimits,
  { response, request, contextValue }: GraphQLRequestContext<RouterContext>,
  logins: FieldNode[],
): Promise<void> {
  const body = response.body;
  if (body?.kind !== 'single') return;
  const { errors, data } = body.singleResult;
  for (const login of logins) {
    const responseKey = login.alias?.value ?? login.name.value;
    const handle = stringArgument(login, 'handle', request.variables);
    const failed = errors?.some((e) => e.path?.[0] === responseKey && e.extensions?.code === 'UNAUTHENTICATED');
    if (failed) {
      if (contextValue.clientAddress) await limits.penalise('loginAddress', contextValue.clientAddress);
      if (handle) await limits.penalise('loginAccount', accountKey(handle));
    } else if (handle && data?.[responseKey]) {
      await limits.reset('loginAccount', accountKey(handle));
    }
  }
}
