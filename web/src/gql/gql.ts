/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment PostFields on Post {\n    id\n    body\n    createdAt\n    likeCount\n    viewerHasLiked\n    author {\n      id\n      handle\n      displayName\n    }\n  }\n": typeof types.PostFieldsFragmentDoc,
    "\n  fragment UserSummary on User {\n    id\n    handle\n    displayName\n    bio\n    viewerFollows\n  }\n": typeof types.UserSummaryFragmentDoc,
    "\n  query Me {\n    me {\n      id\n      handle\n      displayName\n    }\n  }\n": typeof types.MeDocument,
    "\n  mutation Register($handle: String!, $password: String!, $displayName: String) {\n    register(handle: $handle, password: $password, displayName: $displayName) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Login($handle: String!, $password: String!) {\n    login(handle: $handle, password: $password) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n": typeof types.LoginDocument,
    "\n  query HomeFeed($first: Int!, $after: String) {\n    homeFeed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n": typeof types.HomeFeedDocument,
    "\n  subscription FeedUpdated {\n    feedUpdated {\n      kind\n      postId\n      post {\n        ...PostFields\n      }\n    }\n  }\n": typeof types.FeedUpdatedDocument,
    "\n  mutation CreatePost($body: String!) {\n    createPost(body: $body) {\n      ...PostFields\n    }\n  }\n": typeof types.CreatePostDocument,
    "\n  mutation DeletePost($id: ID!) {\n    deletePost(id: $id)\n  }\n": typeof types.DeletePostDocument,
    "\n  mutation LikePost($postId: ID!) {\n    likePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n": typeof types.LikePostDocument,
    "\n  mutation UnlikePost($postId: ID!) {\n    unlikePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n": typeof types.UnlikePostDocument,
    "\n  subscription PostActivity($postId: ID!) {\n    postActivity(postId: $postId) {\n      post {\n        id\n        likeCount\n      }\n    }\n  }\n": typeof types.PostActivityDocument,
    "\n  query Profile($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      ...UserSummary\n      createdAt\n      postCount\n      followerCount\n      followingCount\n      posts(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...PostFields\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n": typeof types.ProfileDocument,
    "\n  query Followers($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n": typeof types.FollowersDocument,
    "\n  query Following($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n": typeof types.FollowingDocument,
    "\n  mutation Follow($userId: ID!) {\n    follow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n": typeof types.FollowDocument,
    "\n  mutation Unfollow($userId: ID!) {\n    unfollow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n": typeof types.UnfollowDocument,
    "\n  query SearchUsers($query: String!, $first: Int!) {\n    searchUsers(query: $query, first: $first) {\n      edges {\n        node {\n          ...UserSummary\n        }\n      }\n    }\n  }\n": typeof types.SearchUsersDocument,
    "\n  query SearchPosts($query: String!, $first: Int!, $after: String) {\n    searchPosts(query: $query, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n": typeof types.SearchPostsDocument,
    "\n  subscription NotificationReceived {\n    notificationReceived {\n      kind\n      occurredAt\n      actor {\n        id\n        handle\n        displayName\n      }\n      post {\n        id\n        body\n        likeCount\n      }\n    }\n  }\n": typeof types.NotificationReceivedDocument,
};
const documents: Documents = {
    "\n  fragment PostFields on Post {\n    id\n    body\n    createdAt\n    likeCount\n    viewerHasLiked\n    author {\n      id\n      handle\n      displayName\n    }\n  }\n": types.PostFieldsFragmentDoc,
    "\n  fragment UserSummary on User {\n    id\n    handle\n    displayName\n    bio\n    viewerFollows\n  }\n": types.UserSummaryFragmentDoc,
    "\n  query Me {\n    me {\n      id\n      handle\n      displayName\n    }\n  }\n": types.MeDocument,
    "\n  mutation Register($handle: String!, $password: String!, $displayName: String) {\n    register(handle: $handle, password: $password, displayName: $displayName) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n": types.RegisterDocument,
    "\n  mutation Login($handle: String!, $password: String!) {\n    login(handle: $handle, password: $password) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n": types.LoginDocument,
    "\n  query HomeFeed($first: Int!, $after: String) {\n    homeFeed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n": types.HomeFeedDocument,
    "\n  subscription FeedUpdated {\n    feedUpdated {\n      kind\n      postId\n      post {\n        ...PostFields\n      }\n    }\n  }\n": types.FeedUpdatedDocument,
    "\n  mutation CreatePost($body: String!) {\n    createPost(body: $body) {\n      ...PostFields\n    }\n  }\n": types.CreatePostDocument,
    "\n  mutation DeletePost($id: ID!) {\n    deletePost(id: $id)\n  }\n": types.DeletePostDocument,
    "\n  mutation LikePost($postId: ID!) {\n    likePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n": types.LikePostDocument,
    "\n  mutation UnlikePost($postId: ID!) {\n    unlikePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n": types.UnlikePostDocument,
    "\n  subscription PostActivity($postId: ID!) {\n    postActivity(postId: $postId) {\n      post {\n        id\n        likeCount\n      }\n    }\n  }\n": types.PostActivityDocument,
    "\n  query Profile($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      ...UserSummary\n      createdAt\n      postCount\n      followerCount\n      followingCount\n      posts(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...PostFields\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n": types.ProfileDocument,
    "\n  query Followers($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n": types.FollowersDocument,
    "\n  query Following($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n": types.FollowingDocument,
    "\n  mutation Follow($userId: ID!) {\n    follow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n": types.FollowDocument,
    "\n  mutation Unfollow($userId: ID!) {\n    unfollow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n": types.UnfollowDocument,
    "\n  query SearchUsers($query: String!, $first: Int!) {\n    searchUsers(query: $query, first: $first) {\n      edges {\n        node {\n          ...UserSummary\n        }\n      }\n    }\n  }\n": types.SearchUsersDocument,
    "\n  query SearchPosts($query: String!, $first: Int!, $after: String) {\n    searchPosts(query: $query, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n": types.SearchPostsDocument,
    "\n  subscription NotificationReceived {\n    notificationReceived {\n      kind\n      occurredAt\n      actor {\n        id\n        handle\n        displayName\n      }\n      post {\n        id\n        body\n        likeCount\n      }\n    }\n  }\n": types.NotificationReceivedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PostFields on Post {\n    id\n    body\n    createdAt\n    likeCount\n    viewerHasLiked\n    author {\n      id\n      handle\n      displayName\n    }\n  }\n"): (typeof documents)["\n  fragment PostFields on Post {\n    id\n    body\n    createdAt\n    likeCount\n    viewerHasLiked\n    author {\n      id\n      handle\n      displayName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment UserSummary on User {\n    id\n    handle\n    displayName\n    bio\n    viewerFollows\n  }\n"): (typeof documents)["\n  fragment UserSummary on User {\n    id\n    handle\n    displayName\n    bio\n    viewerFollows\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      handle\n      displayName\n    }\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      handle\n      displayName\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($handle: String!, $password: String!, $displayName: String) {\n    register(handle: $handle, password: $password, displayName: $displayName) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Register($handle: String!, $password: String!, $displayName: String) {\n    register(handle: $handle, password: $password, displayName: $displayName) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($handle: String!, $password: String!) {\n    login(handle: $handle, password: $password) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation Login($handle: String!, $password: String!) {\n    login(handle: $handle, password: $password) {\n      token\n      user {\n        id\n        handle\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query HomeFeed($first: Int!, $after: String) {\n    homeFeed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query HomeFeed($first: Int!, $after: String) {\n    homeFeed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FeedUpdated {\n    feedUpdated {\n      kind\n      postId\n      post {\n        ...PostFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription FeedUpdated {\n    feedUpdated {\n      kind\n      postId\n      post {\n        ...PostFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreatePost($body: String!) {\n    createPost(body: $body) {\n      ...PostFields\n    }\n  }\n"): (typeof documents)["\n  mutation CreatePost($body: String!) {\n    createPost(body: $body) {\n      ...PostFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation DeletePost($id: ID!) {\n    deletePost(id: $id)\n  }\n"): (typeof documents)["\n  mutation DeletePost($id: ID!) {\n    deletePost(id: $id)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LikePost($postId: ID!) {\n    likePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n"): (typeof documents)["\n  mutation LikePost($postId: ID!) {\n    likePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnlikePost($postId: ID!) {\n    unlikePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n"): (typeof documents)["\n  mutation UnlikePost($postId: ID!) {\n    unlikePost(postId: $postId) {\n      id\n      likeCount\n      viewerHasLiked\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PostActivity($postId: ID!) {\n    postActivity(postId: $postId) {\n      post {\n        id\n        likeCount\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PostActivity($postId: ID!) {\n    postActivity(postId: $postId) {\n      post {\n        id\n        likeCount\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Profile($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      ...UserSummary\n      createdAt\n      postCount\n      followerCount\n      followingCount\n      posts(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...PostFields\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Profile($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      ...UserSummary\n      createdAt\n      postCount\n      followerCount\n      followingCount\n      posts(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...PostFields\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Followers($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Followers($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      followers(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Following($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Following($handle: String!, $first: Int!, $after: String) {\n    user(handle: $handle) {\n      id\n      following(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...UserSummary\n          }\n        }\n        pageInfo {\n          endCursor\n          hasNextPage\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Follow($userId: ID!) {\n    follow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n"): (typeof documents)["\n  mutation Follow($userId: ID!) {\n    follow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Unfollow($userId: ID!) {\n    unfollow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n"): (typeof documents)["\n  mutation Unfollow($userId: ID!) {\n    unfollow(userId: $userId) {\n      id\n      viewerFollows\n      followerCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchUsers($query: String!, $first: Int!) {\n    searchUsers(query: $query, first: $first) {\n      edges {\n        node {\n          ...UserSummary\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SearchUsers($query: String!, $first: Int!) {\n    searchUsers(query: $query, first: $first) {\n      edges {\n        node {\n          ...UserSummary\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchPosts($query: String!, $first: Int!, $after: String) {\n    searchPosts(query: $query, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n"): (typeof documents)["\n  query SearchPosts($query: String!, $first: Int!, $after: String) {\n    searchPosts(query: $query, first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostFields\n        }\n      }\n      pageInfo {\n        endCursor\n        hasNextPage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription NotificationReceived {\n    notificationReceived {\n      kind\n      occurredAt\n      actor {\n        id\n        handle\n        displayName\n      }\n      post {\n        id\n        body\n        likeCount\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription NotificationReceived {\n    notificationReceived {\n      kind\n      occurredAt\n      actor {\n        id\n        handle\n        displayName\n      }\n      post {\n        id\n        body\n        likeCount\n      }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;