import { describe, expect, it } from 'vitest';
import { characterCount, requirePostBody } from '../src/post-rules.ts';

describe('post body rules', () => {
  it('trims the body', () => expect(requirePostBody('  hello  \n')).toBe('hello'));

  it('counts characters as people do: an emoji is one', () => {
    expect(characterCount('😀')).toBe(1);
    expect(requirePostBody('😀'.repeat(280))).toHaveLength(560);
    expect(() => requirePostBody('😀'.repeat(281))).toThrow(/1–280/);
  });

  it.each([
    ['empty', ''],
    ['only whitespace', ' \n\t  '],
    ['281 characters', 'x'.repeat(281)],
  ])('refuses a body that is %s', (_label, body) => expect(() => requirePostBody(body)).toThrow(/1–280/));

  it('accepts 1 and 280 characters', () => {
    expect(requirePostBody('x')).toBe('x');
    expect(requirePostBody(` ${'x'.repeat(280)} `)).toBe('x'.repeat(280));
  });
});
