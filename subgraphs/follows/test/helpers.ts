import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { graphql, registerAccount, type TestAccount } from '@micropost/testing';

export type Account = TestAccount;

export const FOLLOW = /* GraphQL */ `mutation Follow($userId: ID!) { follow(userId: $userId) { id } }`;
export const UNFOLLOW = /* GraphQL */ `mutation Unfollow($userId: ID!) { unfollow(userId: $userId) { id } }`;
export const COUNTS = /* GraphQL */ `
  query Counts($id: ID!) { user(id: $id) { id followerCount followingCount viewerFollows } }`;

/** A handle no other test of the run uses. */
export function uniqueHandle(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Registers through the router and returns the new account; nothing waits for the follows projection. */
export function register(url: string, prefix: string): Promise<Account> {
  return registerAccount(url, uniqueHandle(prefix));
}

export async function follow(url: string, who: Account, userId: string) {
  return graphql(url, FOLLOW, { variables: { userId }, token: who.token });
}

export async function unfollow(url: string, who: Account, userId: string) {
  return graphql(url, UNFOLLOW, { variables: { userId }, token: who.token });
}

/** Counts of `userId` as `viewer` sees them (signed out without a viewer). */
export async function counts(
  url: string,
  userId: string,
  viewer?: Account,
): Promise<{ followerCount: number; followingCount: number; viewerFollows: boolean }> {
  const response = await graphql(url, COUNTS, { variables: { id: userId }, token: viewer?.token });
  expect(response.errors).toBeUndefined();
  const { followerCount, followingCount, viewerFollows } = response.data!.user;
  return { followerCount, followingCount, viewerFollows };
}
