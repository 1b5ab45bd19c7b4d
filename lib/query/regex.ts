/**
 * Literal text → regular-expression conditions for the text operators (Contains, Startswith, …). The
 * client's text is always escaped, so it matches itself and nothing else: no regex injection, and a
 * pattern made only of literals runs in linear time (no ReDoS).
 */

/** Where the literal text must sit in the field's value. */
export type Anchoring = 'anywhere' | 'start' | 'end' | 'whole';

/**
 * Escapes `text` to match itself literally in MongoDB's PCRE (and RE2-style engines). Every regex
 * metacharacter is backslash-escaped; NUL becomes `\x00` (a raw NUL is not allowed in a pattern).
 * Nothing else is rewritten: no `\u…` escapes, which PCRE rejects.
 */
export function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&').replace(/\0/g, '\\x00');
}

/**
 * The pattern for `text` anchored as asked. The start anchor `^` on a case-sensitive pattern lets MongoDB
 * use an index (a bounded prefix scan). The end anchor is `\z` (the very end; `$` would also match before
 * a trailing newline).
 */
export function literalPattern(text: string, anchoring: Anchoring): string {
  const escaped = escapeRegExp(text);
  const start = anchoring === 'start' || anchoring === 'whole' ? '^' : '';
  const end = anchoring === 'end' || anchoring === 'whole' ? '\\z' : '';
  return `${start}${escaped}${end}`;
}

/**
 * `{ $regex, $options? }` for the literal `text`. The pattern is sent as a string rather than a JS
 * `RegExp`, whose `source` would rewrite some characters (U+2028 → `\u2028`) into escapes PCRE rejects.
 */
export function regexCondition(text: string, anchoring: Anchoring, caseInsensitive: boolean): Record<string, string> {
  const condition: Record<string, string> = { $regex: literalPattern(text, anchoring) };
  if (caseInsensitive) condition.$options = 'i';
  return condition;
}
