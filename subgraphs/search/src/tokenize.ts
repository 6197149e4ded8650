/**
 * Text → search terms. Pure functions, shared by the indexers (event handlers) and the queries, so
 * both sides always agree on what a word is.
 *
 * - Case- and accent-insensitive: NFKD, combining marks dropped, lowercase ("Émile" → "emile").
 * - A word is a run of Unicode letters and digits; everything else (spaces, punctuation, `_`,
 *   emoji) separates words.
 * - A hashtag is `#` followed by letters, digits and `_`, not glued to a preceding word
 *   ("#Type_Script" → "#type_script"; "C#" has none). A hashtag is also a word: its words are
 *   indexed too, so "typescript" finds "#TypeScript" while "#typescript" finds only the hashtag.
 * - Terms longer than MAX_TERM_LENGTH are cut to it, on both sides.
 */

export const MAX_TERM_LENGTH = 40;
/** Users are indexed under every prefix of their words up to this length; longer query words are checked in memory. */
export const MAX_PREFIX_LENGTH = 20;

const WORD = /[\p{L}\p{N}]+/gu;
const HASHTAG = /(?<![\p{L}\p{N}_#])#([\p{L}\p{N}_]*[\p{L}\p{N}][\p{L}\p{N}_]*)/gu;

/** Lowercase, without accents or compatibility forms. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

const cut = (term: string) => (term.length > MAX_TERM_LENGTH ? term.slice(0, MAX_TERM_LENGTH) : term);

function unique(terms: Iterable<string>): string[] {
  return [...new Set(terms)];
}

function words(normalized: string): string[] {
  return [...normalized.matchAll(WORD)].map((match) => cut(match[0]));
}

function hashtags(normalized: string): string[] {
  return [...normalized.matchAll(HASHTAG)].map((match) => cut(`#${match[1]}`));
}

/** Every term a post is found under: its words and its hashtags, each once, in order of appearance. */
export function postTerms(body: string): string[] {
  const text = normalizeText(body);
  return unique([...hashtags(text), ...words(text)]);
}

/**
 * The terms a post query asks for (all must match): hashtags as hashtags, other words as words.
 * "#tag" → ["#tag"]; "hello #TS world" → ["#ts", "hello", "world"].
 */
export function postQueryTerms(query: string): string[] {
  const text = normalizeText(query);
  const tags = hashtags(text);
  const rest = text.replace(HASHTAG, ' ');
  return unique([...tags, ...words(rest)]);
}

/** The words a user is found under: the whole handle, the parts of the handle, and the display name's words. */
export function userWords(handle: string, displayName: string): string[] {
  const normalizedHandle = normalizeText(handle);
  return unique([cut(normalizedHandle), ...words(normalizedHandle), ...words(normalizeText(displayName))]);
}

/** Words of a user query; `@` and `#` are just punctuation here ("@ali" → ["ali"]). */
export function userQueryWords(query: string): string[] {
  return unique(words(normalizeText(query)));
}

/** The query as a handle when it could be one (3–30 of [a-z0-9_], an optional leading `@`), else null. */
export function handleOf(query: string): string | null {
  const candidate = query.trim().toLowerCase().replace(/^@/, '');
  return /^[a-z0-9_]{3,30}$/.test(candidate) ? candidate : null;
}

const WORD_CHARACTER = /^[\p{L}\p{N}]$/u;

/**
 * Every prefix (1..MAX_PREFIX_LENGTH characters) of every word, each once, up to the first
 * character that is not a letter or digit: a query word never holds one, so such a prefix (the
 * whole handle "bob_smith" past "bob") could never be asked for; its parts are words of their own.
 */
export function prefixesOf(wordList: readonly string[]): string[] {
  const prefixes = new Set<string>();
  for (const word of wordList) {
    const chars = [...word];
    for (let length = 1; length <= Math.min(chars.length, MAX_PREFIX_LENGTH); length++) {
      if (!WORD_CHARACTER.test(chars[length - 1]!)) break;
      prefixes.add(chars.slice(0, length).join(''));
    }
  }
  return [...prefixes];
}

/** The stored form of a term set, `" a b c "`, so "contains term t" is `includes(" t ")` and "has a word starting with p" is `includes(" p")`. */
export function joinTerms(terms: readonly string[]): string {
  return ` ${terms.join(' ')} `;
}

export const containsTerm = (joined: string, term: string) => joined.includes(` ${term} `);
export const containsPrefix = (joined: string, prefix: string) => joined.includes(` ${prefix}`);
