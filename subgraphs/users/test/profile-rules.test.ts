import { describe, expect, it } from 'vitest';
import {
  normalizeHandle,
  requireAvatarUrl,
  requireBio,
  requireDisplayName,
  requirePassword,
} from '../src/profile-rules.ts';

describe('handle rules', () => {
  it.each([
    ['alice', 'alice'],
    ['Alice_01', 'alice_01'],
    ['  BOB  ', 'bob'],
    ['abc', 'abc'],
    ['a'.repeat(30), 'a'.repeat(30)],
  ])('accepts %j as %j', (raw, expected) => expect(normalizeHandle(raw)).toBe(expected));

  it.each(['ab', 'a'.repeat(31), 'al ice', 'alice!', 'älice', 'al.ice', ''])('refuses %j', (raw) =>
    expect(normalizeHandle(raw)).toBeNull(),
  );
});

describe('profile rules', () => {
  it('bounds passwords', () => {
    expect(() => requirePassword('short')).toThrow(/8–128/);
    expect(() => requirePassword('x'.repeat(129))).toThrow(/8–128/);
    expect(requirePassword('long enough')).toBe('long enough');
  });

  it('trims display names and bios and bounds them', () => {
    expect(requireDisplayName('  Alice  ')).toBe('Alice');
    expect(() => requireDisplayName('   ')).toThrow();
    expect(() => requireBio('x'.repeat(161))).toThrow();
    expect(requireBio(' hi ')).toBe('hi');
  });

  it('takes http(s) avatar URLs, and an empty one as "none"', () => {
    expect(requireAvatarUrl('https://img.example.com/a.png')).toBe('https://img.example.com/a.png');
    expect(requireAvatarUrl('')).toBeNull();
    expect(() => requireAvatarUrl('javascript:alert(1)')).toThrow();
    expect(() => requireAvatarUrl('not a url')).toThrow();
  });
});
