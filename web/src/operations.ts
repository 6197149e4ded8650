import { graphql } from './gql/index.ts';

// Every operation the client sends, typed by graphql-codegen's client preset (`npm run generate`).

export const PostFields = graphql(`
  fragment PostFields on Post {
    id
    body
    createdAt
    likeCount
    viewerHasLiked
    author {
      id
      handle
      displayName
    }
  }
`);

export const UserSummary = graphql(`
  fragment UserSummary on User {
    id
    handle
    displayName
    bio
    viewerFollows
  }
`);

export const MeQuery = graphql(`
  query Me {
    me {
      id
      handle
      displayName
    }
  }
`);

export const RegisterMutation = graphql(`
  mutation Register($handle: String!, $password: String!, $displayName: String) {
    register(handle: $handle, password: $password, displayName: $displayName) {
      token
      user {
        id
        handle
      }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($handle: String!, $password: String!) {
    login(handle: $handle, password: $password) {
      token
      user {
        id
        handle
      }
    }
  }
`);

export const HomeFeedQuery = graphql(`
  query HomeFeed($first: Int!, $after: String) {
    homeFeed(first: $first, after: $after) {
      edges {
        cursor
        node {
          ...PostFields
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
`);

export const FeedUpdatedSubscription = graphql(`
  subscription FeedUpdated {
    feedUpdated {
      kind
      postId
      post {
        ...PostFields
      }
    }
  }
`);

export const CreatePostMutation = graphql(`
  mutation CreatePost($body: String!) {
    createPost(body: $body) {
      ...PostFields
    }
  }
`);

export const DeletePostMutation = graphql(`
  mutation DeletePost($id: ID!) {
    deletePost(id: $id)
  }
`);

export const LikePostMutation = graphql(`
  mutation LikePost($postId: ID!) {
    likePost(postId: $postId) {
      id
      likeCount
      viewerHasLiked
    }
  }
`);

export const UnlikePostMutation = graphql(`
  mutation UnlikePost($postId: ID!) {
    unlikePost(postId: $postId) {
      id
      likeCount
      viewerHasLiked
    }
  }
`);

export const PostActivitySubscription = graphql(`
  subscription PostActivity($postId: ID!) {
    postActivity(postId: $postId) {
      post {
        id
        likeCount
      }
    }
  }
`);

export const ProfileQuery = graphql(`
  query Profile($handle: String!, $first: Int!, $after: String) {
    user(handle: $handle) {
      ...UserSummary
      createdAt
      postCount
      followerCount
      followingCount
      posts(first: $first, after: $after) {
        edges {
          cursor
          node {
            ...PostFields
          }
        }
        pageInfo {
          endCursor
          hasNextPage
        }
      }
    }
  }
`);

export const FollowersQuery = graphql(`
  query Followers($handle: String!, $first: Int!, $after: String) {
    user(handle: $handle) {
      id
      followers(first: $first, after: $after) {
        edges {
          cursor
          node {
            ...UserSummary
          }
        }
        pageInfo {
          endCursor
          hasNextPage
        }
      }
    }
  }
`);

export const FollowingQuery = graphql(`
  query Following($handle: String!, $first: Int!, $after: String) {
    user(handle: $handle) {
      id
      following(first: $first, after: $after) {
        edges {
          cursor
          node {
            ...UserSummary
          }
        }
        pageInfo {
          endCursor
          hasNextPage
        }
      }
    }
  }
`);

export const FollowMutation = graphql(`
  mutation Follow($userId: ID!) {
    follow(userId: $userId) {
      id
      viewerFollows
      followerCount
    }
  }
`);

export const UnfollowMutation = graphql(`
  mutation Unfollow($userId: ID!) {
    unfollow(userId: $userId) {
      id
      viewerFollows
      followerCount
    }
  }
`);

export const SearchUsersQuery = graphql(`
  query SearchUsers($query: String!, $first: Int!) {
    searchUsers(query: $query, first: $first) {
      edges {
        node {
          ...UserSummary
        }
      }
    }
  }
`);

export const SearchPostsQuery = graphql(`
  query SearchPosts($query: String!, $first: Int!, $after: String) {
    searchPosts(query: $query, first: $first, after: $after) {
      edges {
        cursor
        node {
          ...PostFields
        }
      }
      pageInfo {
        endCursor
        hasNextPage
      }
    }
  }
`);

export const NotificationSubscription = graphql(`
  subscription NotificationReceived {
    notificationReceived {
      kind
      occurredAt
      actor {
        id
        handle
        displayName
      }
      post {
        id
        body
        likeCount
      }
    }
  }
`);
