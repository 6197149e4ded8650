import { BadUserInputError } from './errors.ts';

/** How one text argument is checked: every field that takes text goes through `requireText`. */
export interface TextRule {
  /** The field as a sentence starts with it, for messages: "A post", "A display name". */
  readonly name: string;
  /** Fewest characters after trimming; 0: may be empty. */
  readonly min: number;
  readonly max: number;
  /** Tab and line breaks are allowed (post bodies, bios); CR LF and CR become LF. */
  readonly multiline?: boolean;
  /** Taken exactly as given, never trimmed nor judged empty by its look (passwords). */
  readonly verbatim?: boolean;
}

/**
 * C0 controls and DEL. U+0000 in particular cannot be stored (FerretDB's PostgreSQL jsonb refuses
 * it), and none of them is text a person types.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/u;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_EXCEPT_TAB_AND_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f]/u;

/**
 * Characters that show nothing: whitespace, zero-width (U+200B–U+200D, U+2060 word joiner, U+FEFF),
 * and the bidirectional marks and controls (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). A text
 * made only of these is empty to whoever reads it.
 */
const INVISIBLE = /[\s\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Characters as a person counts them: Unicode code points, so an emoji outside the BMP counts once
 * (`'😀'.length` is 2 UTF-16 units). The one length rule of every text field.
 */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** True when `text` shows nothing (only whitespace, zero-width and bidi characters). */
export function isBlank(text: string): boolean {
  return text.replace(INVISIBLE, '') === '';
}

/**
 * `raw` checked by `rule` and trimmed (unless verbatim): BAD_USER_INPUT for a control character,
 * for fewer than `min` or more than `max` code points, and for a required text that shows nothing.
 */
export function requireText(raw: string, rule: TextRule): string {
  const controls = rule.multiline ? CONTROL_EXCEPT_TAB_AND_NEWLINE : CONTROL;
  const unified = rule.multiline ? raw.replace(/\r\n?/g, '\n') : raw;
  if (controls.test(unified)) {
    throw new BadUserInputError(
      `${rule.name} may not contain control characters${rule.multiline ? ' other than tab and newline' : ''}.`,
    );
  }
  const text = rule.verbatim ? unified : unified.trim();
  const length = !rule.verbatim && isBlank(text) ? 0 : characterCount(text);
  if (length < rule.min || length > rule.max) {
    const range = rule.min > 0 ? `${rule.min}–${rule.max} characters` : `at most ${rule.max} characters`;
    const found =
      length === 0 && !rule.verbatim
        ? 'this one is empty (spaces and invisible characters do not count)'
        : `this one has ${length}`;
    throw new BadUserInputError(`${rule.name} is ${range}; ${found}.`);
  }
  return length === 0 ? '' : text;
}
