import { describe, expect, it } from 'vitest';
import { countPost, MAX_POST_LENGTH, splitBody } from '../src/text.ts';

describe('the composer counter', () => {
  it('counts code points after trimming, as the server does', () => {
    expect(countPost('  hello  ')).toEqual({ length: 5, remaining: MAX_POST_LENGTH - 5, valid: true });
    // One emoji is two UTF-16 units but one character.
    expect(countPost('😀'.repeat(280))).toMatchObject({ length: 280, remaining: 0, valid: true });
    expect(countPost('😀'.repeat(281))).toMatchObject({ remaining: -1, valid: false });
  });

  it('refuses a blank post', () => {
    expect(countPost('   \n ').valid).toBe(false);
  });
});

describe('post bodies', () => {
  it('links hashtags and mentions, and keeps the rest as text', () => {
    expect(splitBody('Hi @Alice, see #GraphQL! x#no')).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'mention', text: '@Alice', handle: 'alice' },
      { kind: 'text', text: ', see ' },
      { kind: 'hashtag', text: '#GraphQL', tag: 'graphql' },
      { kind: 'text', text: '! x#no' },
    ]);
  });

  it('returns plain text unchanged', () => {
    expect(splitBody('just words')).toEqual([{ kind: 'text', text: 'just words' }]);
    expect(splitBody('')).toEqual([]);
  });
});
