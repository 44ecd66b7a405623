const REDACTED = "[redacted]";
const MIN_SECRET_CHARS = 4;
const MAX_CACHED = 256;
const patterns = new Map<string, RegExp>();

/**
 * Replaces each secret in a text with `[redacted]`: a vendor may echo a credential back in an error
 * body, in another encoding than it was sent. Matches the secret as written, JSON-escaped (`\"`,
 * `\\`, `\/`, also escaped twice), `\u`-escaped (any character, either hex case), percent-encoded
 * (UTF-8 bytes, either hex case, `+` for a space), and any mix of these. Values shorter than 4
 * characters are left alone (they would match ordinary text).
 */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = text;
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_CHARS) continue;
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    // Cheap pre-check: an encoded form contains a backslash, a percent sign or a plus sign.
    if (!/[\\%+]/.test(result)) continue;
    result = result.replace(patternFor(secret), REDACTED);
  }
  return result;
}

function patternFor(secret: string): RegExp {
  let pattern = patterns.get(secret);
  if (!pattern) {
    let source = "";
    for (const character of secret) source += characterPattern(character);
    pattern = new RegExp(source, "g");
    if (patterns.size >= MAX_CACHED) patterns.clear();
    patterns.set(secret, pattern);
  }
  pattern.lastIndex = 0;
  return pattern;
}

/** Every way one character of a secret may come back from a server. */
function characterPattern(character: string): string {
  const alternatives = [escapeRegExp(character)];
  // \uXXXX for each UTF-16 unit (a surrogate pair is two), one or more backslashes.
  let unicode = "";
  for (let index = 0; index < character.length; index++) {
    unicode += `\\\\+u${hexPattern(character.charCodeAt(index), 4)}`;
  }
  alternatives.push(unicode);
  // Percent-encoding of the UTF-8 bytes.
  let percent = "";
  for (const byte of new TextEncoder().encode(character)) percent += `%${hexPattern(byte, 2)}`;
  alternatives.push(percent);
  if (character === " ") alternatives.push("\\+");
  const shortEscape = JSON.stringify(character).slice(1, -1);
  if (shortEscape !== character) alternatives.push(`\\\\+${escapeRegExp(shortEscape.slice(1))}`);
  if (character === "/") alternatives.push("\\\\+/");
  return `(?:${alternatives.join("|")})`;
}

function hexPattern(value: number, digits: number): string {
  return [...value.toString(16).padStart(digits, "0")]
    .map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit))
    .join("");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Header names whose values are credentials. */
const CREDENTIAL_HEADER = /auth|key|token|secret|password|cookie|session|credential|signature/i;

/**
 * The credentials among headers: the value of every header whose name suggests one, and the token
 * part of `Scheme token` values (`Bearer …`, `Basic …`), so either form is redacted.
 */
export function credentialsOfHeaders(headers: Record<string, string> | undefined): string[] {
  const found: string[] = [];
  if (!headers) return found;
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string" || !CREDENTIAL_HEADER.test(name)) continue;
    found.push(value);
    const token = /^[A-Za-z-]+\s+(\S.*)$/.exec(value)?.[1];
    if (token) found.push(token);
  }
  return found;
}
