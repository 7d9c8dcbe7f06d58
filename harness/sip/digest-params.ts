/**
 * The auth-param grammar shared by challenges and credentials (RFC 7235 §2.1, RFC 3261 §25.1):
 *
 *   challenge   = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param  = token BWS "=" BWS ( token / quoted-string )
 *
 * The scanner never throws; it returns a typed error for input it cannot read.
 */

/** One scheme with its parameters, as found in a WWW-Authenticate/Authorization value. */
export interface AuthSchemeParams {
  /** The scheme as written (compare case-insensitively). */
  scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. A repeated name keeps the first value. */
  params: Map<string, string>;
  /** Names of parameters whose value was written as a quoted-string. */
  quoted: Set<string>;
}

/** Why a header value could not be read. */
export interface AuthParamsError {
  kind: 'malformed';
  reason: string;
}

/** Result of {@link parseAuthHeaderValue}. */
export type AuthParamsResult =
  | { ok: true; value: AuthSchemeParams[] }
  | { ok: false; error: AuthParamsError };

const TOKEN_CHAR = /[A-Za-z0-9!#$%&'*+\-.^_`|~]/;
const MAX_VALUE_LENGTH = 16_384;

function isWs(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function fail(reason: string): AuthParamsResult {
  return { ok: false, error: { kind: 'malformed', reason } };
}

/**
 * Reads a header value holding one or more `scheme param=value, ...` groups. A new group
 * starts where a token is followed by whitespace and another token (not by `=`).
 * token68 forms (Basic credentials) are kept as a parameter named `token68`.
 */
export function parseAuthHeaderValue(input: string): AuthParamsResult {
  if (typeof input !== 'string') return fail('not a string');
  if (input.length > MAX_VALUE_LENGTH) return fail(`value longer than ${MAX_VALUE_LENGTH} characters`);
  const s = input;
  let i = 0;
  const out: AuthSchemeParams[] = [];
  let current: AuthSchemeParams | undefined;

  const skipWs = (): void => {
    while (i < s.length && isWs(s[i])) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < s.length && TOKEN_CHAR.test(s[i] as string)) i++;
    return s.slice(start, i);
  };

  // Each pass reads one list element: "scheme", "scheme param=value", or "param=value".
  for (let guard = 0; guard <= s.length + 1; guard++) {
    skipWs();
    if (i >= s.length) break;
    if (s[i] === ',') {
      i++;
      continue;
    }
    const tok = readToken();
    if (tok === '') return fail(`unexpected character ${JSON.stringify(s[i])} at ${i}`);
    const afterTok = i;
    skipWs();
    if (s[i] === '=' && !(s[i + 1] === '=' || i + 1 >= s.length || s[i + 1] === ',')) {
      // param = value
      if (!current) return fail(`parameter ${tok} before any scheme`);
      i++;
      skipWs();
      let value: string;
      let wasQuoted = false;
      if (s[i] === '"') {
        i++;
        let v = '';
        let closed = false;
        while (i < s.length) {
          const c = s[i] as string;
          if (c === '\\') {
            if (i + 1 >= s.length) return fail('dangling escape in quoted-string');
            v += s[i + 1];
            i += 2;
            continue;
          }
          if (c === '"') {
            closed = true;
            i++;
            break;
          }
          v += c;
          i++;
        }
        if (!closed) return fail(`unterminated quoted-string for ${tok}`);
        value = v;
        wasQuoted = true;
      } else {
        value = readToken();
        // Be lenient with a few characters seen unquoted in the wild (e.g. uri=sip:x@y, nonce=a/b).
        while (i < s.length && !isWs(s[i]) && s[i] !== ',' && s[i] !== '"') {
          value += s[i];
          i++;
        }
        if (value === '') return fail(`empty value for ${tok}`);
      }
      const name = tok.toLowerCase();
      if (!current.params.has(name)) {
        current.params.set(name, value);
        if (wasQuoted) current.quoted.add(name);
      }
      skipWs();
      if (i < s.length && s[i] !== ',') return fail(`expected "," after ${tok} at ${i}`);
      continue;
    }
    // A scheme. It may be followed by a token68 ("Basic QWxh...==").
    i = afterTok;
    current = { scheme: tok, params: new Map(), quoted: new Set() };
    out.push(current);
    skipWs();
    const save = i;
    const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(s.slice(i));
    if (t68) {
      const after = i + t68[0].length;
      let j = after;
      while (j < s.length && isWs(s[j])) j++;
      const endsHere = j >= s.length || s[j] === ',';
      if (endsHere && t68[0].endsWith('=')) {
        current.params.set('token68', t68[0]);
        i = after;
        continue;
      }
      if (endsHere && !/=/.test(t68[0])) {
        // "Scheme tok" with no '=': a bare token68.
        current.params.set('token68', t68[0]);
        i = after;
        continue;
      }
    }
    i = save;
  }
  if (out.length === 0) return fail('no authentication scheme');
  return { ok: true, value: out };
}

/** Quotes a value as a quoted-string, escaping `"` and `\`. */
export function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}
