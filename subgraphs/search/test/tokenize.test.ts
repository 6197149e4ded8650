import { describe, expect, it } from 'vitest';
import {
  handleOf,
  MAX_TERM_LENGTH,
  postQueryTerms,
  postTerms,
  prefixesOf,
  userQueryWords,
  userWords,
} from '../src/tokenize.ts';
import { readPostQuery, readUserQuery } from '../src/query-rules.ts';

describe('postTerms', () => {
  it.each([
    ['Hello, World!', ['hello', 'world']],
    ['hello hello HELLO', ['hello']],
    ['Crème brûlée à Paris', ['creme', 'brulee', 'a', 'paris']],
    ['ＦＵＬＬ width', ['full', 'width']],
    ['snake_case and kebab-case', ['snake', 'case', 'and', 'kebab']],
    ['tea @ 5pm: 3.14…', ['tea', '5pm', '3', '14']],
    ['Привет мир', ['привет', 'мир']],
    ['東京 2024 🎉', ['東京', '2024']],
    ['   ', []],
    ['!!! ??? 🎉', []],
  ])('%j → %j', (body, expected) => expect(postTerms(body)).toEqual(expected));

  it('indexes a hashtag both as a hashtag and as its words', () => {
    expect(postTerms('Loving #TypeScript today')).toEqual(['#typescript', 'loving', 'typescript', 'today']);
    expect(postTerms('#Type_Script')).toEqual(['#type_script', 'type', 'script']);
    expect(postTerms('#Café')).toEqual(['#cafe', 'cafe']);
  });

  it('needs a hashtag to stand on its own and to hold a letter or digit', () => {
    expect(postTerms('C# is fine')).toEqual(['c', 'is', 'fine']);
    expect(postTerms('a#b')).toEqual(['a', 'b']);
    expect(postTerms('# alone and #_')).toEqual(['alone', 'and']);
    expect(postTerms('(#tag)')).toEqual(['#tag', 'tag']);
    expect(postTerms('##double')).toEqual(['double']);
  });

  it('cuts very long words to the term length', () => {
    const long = 'x'.repeat(MAX_TERM_LENGTH + 10);
    expect(postTerms(long)).toEqual(['x'.repeat(MAX_TERM_LENGTH)]);
  });
});

describe('postQueryTerms', () => {
  it('keeps hashtags as hashtags and words as words', () => {
    expect(postQueryTerms('#TypeScript')).toEqual(['#typescript']);
    expect(postQueryTerms('Hello #TS world')).toEqual(['#ts', 'hello', 'world']);
    expect(postQueryTerms('typescript')).toEqual(['typescript']);
    expect(postQueryTerms('Éte ete ÉTÉ')).toEqual(['ete']);
  });

  it('finds what postTerms indexed, whatever the case or accents', () => {
    const indexed = new Set(postTerms('Un Café au #Lait, s’il vous plaît'));
    for (const query of ['cafe', 'CAFÉ lait', '#lait', 'plait vous']) {
      expect(postQueryTerms(query).every((term) => indexed.has(term))).toBe(true);
    }
    expect(postQueryTerms('#cafe').every((term) => indexed.has(term))).toBe(false);
  });
});

describe('user words', () => {
  it('takes the whole handle, its parts and the display name words', () => {
    expect(userWords('bob_smith', 'Robert Smith')).toEqual(['bob_smith', 'bob', 'smith', 'robert']);
    expect(userWords('emile', 'Émile Zola')).toEqual(['emile', 'zola']);
  });

  it('reads @ and # in a user query as punctuation', () => {
    expect(userQueryWords('@Ali')).toEqual(['ali']);
    expect(userQueryWords('  Ali  Sm ')).toEqual(['ali', 'sm']);
  });

  it('reads a query as a handle when it could be one', () => {
    expect(handleOf(' @Alice ')).toBe('alice');
    expect(handleOf('bob_smith')).toBe('bob_smith');
    expect(handleOf('al')).toBeNull();
    expect(handleOf('alice smith')).toBeNull();
    expect(handleOf('émile')).toBeNull();
  });

  it('lists every prefix once, up to the prefix length', () => {
    expect(prefixesOf(['ali', 'al'])).toEqual(['a', 'al', 'ali']);
    expect(prefixesOf(['x'.repeat(30)])).toHaveLength(20);
  });

  it('lists no prefix a query word could not be (past a character that is not a letter or digit)', () => {
    // A query word is letters and digits only, so "bob_" and longer are never asked for.
    expect(prefixesOf(userWords('bob_smith', 'Bob'))).toEqual(['b', 'bo', 'bob', 's', 'sm', 'smi', 'smit', 'smith']);
  });
});

describe('query rules', () => {
  it.each([
    ['', /empty/],
    ['    ', /empty/],
    ['x'.repeat(101), /at most 100 characters/],
    ['a b c d e f g h i', /at most 8 words/],
    ['!!! ???', /no words/],
    ['#', /no words/],
  ])('refuses %j with BAD_USER_INPUT', (query, message) => {
    for (const read of [readPostQuery, readUserQuery]) {
      let error: any;
      try {
        read(query);
      } catch (caught) {
        error = caught;
      }
      expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message).toMatch(message);
    }
  });

  it('counts repeated words once', () => {
    expect(readPostQuery('a a a a a a a a a a').terms).toEqual(['a']);
  });
});
