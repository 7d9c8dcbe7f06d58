/** Random identifiers: tags, Call-IDs and RFC 3261 branch values (magic cookie "z9hG4bK"). */
import { randomBytes } from 'node:crypto';

export const BRANCH_COOKIE = 'z9hG4bK';

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x');
}

export function newBranch(): string {
  return `${BRANCH_COOKIE}${token(12)}`;
}

export function newTag(): string {
  return token(8);
}

export function newCallId(host?: string): string {
  return host ? `${token(16)}@${host}` : token(16);
}
