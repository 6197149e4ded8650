import { createTestServices, graphql, type TestAccount, type TestServices } from '@micropost/testing';
import { startTestGraph, type TestGraph } from '@micropost/app/testing';
import { usersSubgraph } from '@micropost/users';
import { postsSubgraph } from '../src/subgraph.ts';

export interface PostsTestGraph {
  services: TestServices;
  graph: TestGraph;
  stop(): Promise<void>;
}

/** Fresh database and vhost, and the users and posts subgraphs behind a router. */
export async function startPostsGraph(): Promise<PostsTestGraph> {
  const services = await createTestServices();
  try {
    const graph = await startTestGraph(services.env(), [usersSubgraph, postsSubgraph]);
    return {
      services,
      graph,
      stop: async () => {
        await graph.stop();
        await services.dispose();
      },
    };
  } catch (error) {
    await services.dispose();
    throw error;
  }
}

export const CREATE_POST = /* GraphQL */ `
  mutation Create($body: String!) { createPost(body: $body) { id body createdAt likeCount viewerHasLiked author { id handle } } }`;

/** Creates a post through the router and returns it; throws on any error. */
export async function createPost(
  url: string,
  user: TestAccount,
  body: string,
): Promise<{ id: string; body: string; createdAt: string }> {
  const response = await graphql(url, CREATE_POST, { token: user.token, variables: { body } });
  if (response.errors) throw new Error(`createPost: ${JSON.stringify(response.errors)}`);
  return response.data!.createPost;
}
