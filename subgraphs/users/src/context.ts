import DataLoader from 'dataloader';
import type { AccessTokens } from '@micropost/auth';
import type { RequestContext } from '@micropost/server';
import type { UserDocument, UserStore } from './store.ts';

export interface UsersContext extends RequestContext {
  readonly store: UserStore;
  readonly tokens: AccessTokens;
  /** Per request, so one query's users load in one batch and nothing is cached across requests. */
  readonly userById: DataLoader<string, UserDocument | null>;
}

export function createUsersContext(request: RequestContext, store: UserStore, tokens: AccessTokens): UsersContext {
  return { ...request, store, tokens, userById: new DataLoader((ids) => store.findByIds(ids)) };
}
