import { describe, expect, it } from 'vitest';
import { BadUserInputError, characterCount, isBlank, requireText } from '../src/index.ts';

const name = { name: 'A name', min: 1, max: 5 };
const body = { name: 'A post', min: 1, max: 10, multiline: true };

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BadUserInputError);
    return (error as Error).message;
  }
  throw new Error('not refused');
};

describe('requireText', () => {
  it.each([
    ['U+0000', 'a\u0000b'],
    ['U+0007 (bell)', 'a\u0007b'],
    ['U+001B (escape)', '\u001b[31mred'],
    ['U+007F (delete)', 'a\u007f'],
  ])('refuses %s everywhere', (_label, text) => {
    expect(refusal(() => requireText(text, name))).toMatch(/control characters/);
    expect(refusal(() => requireText(text, body))).toMatch(/control characters other than tab and newline/);
  });

  it('allows tab and newline only where text is multiline, and makes CR LF a newline', () => {
    expect(requireText('a\tb\r\nc', body)).toBe('a\tb\nc');
    expect(refusal(() => requireText('a\tb', name))).toMatch(/control/);
    expect(refusal(() => requireText('a\nb', name))).toMatch(/control/);
  });

  it('counts code points, the same for every field', () => {
    expect(characterCount('😀😀😀')).toBe(3);
    expect(requireText('😀😀😀😀😀', name)).toBe('😀😀😀😀😀');
    expect(refusal(() => requireText('😀😀😀😀😀😀', name))).toMatch(/1–5 characters; this one has 6/);
  });

  it.each([
    ['spaces', '   '],
    ['zero-width space, joiner, non-joiner', '\u200b\u200c\u200d'],
    ['word joiner and BOM', '\u2060\ufeff'],
    ['bidi controls', '\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069'],
    ['a mix with newlines', ' \u200b\n\u202e\t\u2069 '],
  ])('counts a text of only invisible characters (%s) as empty', (_label, text) => {
    expect(isBlank(text)).toBe(true);
    expect(refusal(() => requireText(text, body))).toMatch(/is empty/);
    expect(requireText(text, { ...body, min: 0 })).toBe('');
  });

  it('keeps visible text with invisible characters inside, trimmed', () => {
    expect(requireText('  a\u200bb  ', name)).toBe('a\u200bb');
  });

  it('takes a verbatim text as given (passwords): untrimmed, controls still refused', () => {
    const password = { name: 'A password', min: 3, max: 8, verbatim: true };
    expect(requireText('  ab  ', password)).toBe('  ab  ');
    expect(refusal(() => requireText('ab\u0000c', password))).toMatch(/control/);
  });
});
