/**
 * Numbers that JSON.parse would silently change. A JSON number is stored as a 64-bit float; following
 * I-JSON (RFC 7493 §2.2), an integer written without fraction or exponent must lie within ±(2^53 − 1),
 * and any other number must denote exactly the value its float prints as (`0.1` does, a 30-digit
 * integer or `1e-400` does not). JSON.parse cannot tell (it returns the rounded float), so the body's
 * text is scanned for the number tokens; the scan runs only when the text holds a long digit run or a
 * large exponent, since every number of at most 15 significant digits round-trips.
 */

export const INTEGER_OUT_OF_RANGE = 'Must be an integer between -9007199254740991 and 9007199254740991 (send larger ones as strings).';
export const IMPRECISE_NUMBER = 'Has more precision than a 64-bit number holds (send it as a string).';

/**
 * Sixteen digits (a decimal point may sit among them), or an exponent of three digits or more. An
 * exponent counts only as a number token writes it: after a digit and followed by what may end a number
 * in JSON (whitespace, `,`, `}`, `]`, the end) — not inside a hex string such as an ObjectId
 * (`"…5e123f…"`), which sent a third of ordinary create bodies through the full scan. Anything this
 * lets through is scanned exactly; it only has to catch every number that may not round-trip.
 */
const mayNotRoundTrip = /[0-9.]{16}|[0-9][eE][+-]?[0-9]{3,}(?![^\s,}\]])/;
/** The tokens the scan needs: strings (skipped whole), numbers, and the structural characters. */
const tokens = /"(?:[^"\\]|\\.)*"|-?[0-9][-+.0-9eE]*|[{}[\],:]/g;
const integerLiteral = /^-?[0-9]+$/;
const decimalParts = /^(-?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;

/** `-12.50e1` → `-125e0`: sign, significant digits and exponent, so equal values compare equal. */
function canonical(text: string): string {
  const match = decimalParts.exec(text);
  if (!match) return text;
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  if (digits === '') return '0';
  let power = Number(exponent) - fraction.length;
  const trimmed = digits.replace(/0+$/, '');
  power += digits.length - trimmed.length;
  digits = trimmed;
  return `${sign}${digits}e${power}`;
}

/** Why the decimal `text` cannot be stored as a number unchanged, or `undefined` when it can. */
export function numberTextProblem(text: string): string | undefined {
  const value = Number(text);
  if (integerLiteral.test(text)) return Number.isSafeInteger(value) ? undefined : INTEGER_OUT_OF_RANGE;
  if (!Number.isFinite(value)) return undefined; // refused elsewhere, with its own message
  const printed = String(value);
  // Fast paths: printed as sent (what JavaScript serializers send), or too short to lose anything.
  if (printed === text || (text.length <= 15 && !/[eE]/.test(text))) return undefined;
  return canonical(text) === canonical(printed) ? undefined : IMPRECISE_NUMBER;
}

interface Frame {
  isArray: boolean;
  index: number;
  key: string;
  expectingKey: boolean;
}

/**
 * `{ "<path>": "<problem>" }` for every number of the (valid) JSON `text` that would change when parsed;
 * paths are the body's keys and array indexes joined with dots (`scores.2`, `list.count`). Empty when
 * every number is exact.
 */
export function inexactNumbers(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  if (!mayNotRoundTrip.test(text)) return found;
  const stack: Frame[] = [];
  let top: Frame | undefined;
  const pathHere = () => stack.map((frame) => (frame.isArray ? String(frame.index) : frame.key)).join('.');
  tokens.lastIndex = 0;
  for (let match = tokens.exec(text); match !== null; match = tokens.exec(text)) {
    const token = match[0];
    const first = token.charCodeAt(0);
    if (first === 0x22 /* " */) {
      if (top && !top.isArray && top.expectingKey) top.key = JSON.parse(token) as string;
    } else if (first === 0x2d /* - */ || (first >= 0x30 && first <= 0x39)) {
      const problem = numberTextProblem(token);
      if (problem !== undefined) found[pathHere()] = problem;
    } else if (token === '{' || token === '[') {
      top = { isArray: token === '[', index: 0, key: '', expectingKey: token === '{' };
      stack.push(top);
    } else if (token === '}' || token === ']') {
      stack.pop();
      top = stack.at(-1);
    } else if (token === ',') {
      if (top?.isArray) top.index += 1;
      else if (top) top.expectingKey = true;
    } else if (top) {
      top.expectingKey = false; // ':'
    }
  }
  return found;
}
