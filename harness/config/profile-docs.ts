/**
 * The reference table of every profile key, generated from the schema itself, so the docs
 * cannot drift from the code: docs/profile.md holds this table between markers, and a test
 * fails when they differ. Regenerate: `node bin/run-ts.js harness/config/profile-docs.ts --write`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { profileSchema } from './profile-schema.ts';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

export const BEGIN = '<!-- profile-keys:begin (generated from harness/config/profile-schema.ts) -->';
export const END = '<!-- profile-keys:end -->';
export const DOC_PATH = fileURLToPath(new URL('../../docs/profile.md', import.meta.url));

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'integer' && s.minimum === 0 && s.maximum === 65535) return 'port';
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'value');
}

function rows(s: JsonSchema, path: string, out: string[]): void {
  for (const [key, child] of Object.entries(s.properties ?? {})) {
    const p = path ? `${path}.${key}` : key;
    const required = (s.required ?? []).includes(key) && child.default === undefined;
    if (child.type === 'object' && child.properties) {
      out.push(`| \`${p}\` | section | ${required ? 'required' : 'optional'} | ${child.description ?? ''} |`);
      rows(child, p, out);
      continue;
    }
    if (child.type === 'array' && child.items?.type === 'object') {
      out.push(`| \`${p}[]\` | list | ${required ? 'required' : 'optional'} | ${child.description ?? ''} |`);
      rows(child.items, `${p}[]`, out);
      continue;
    }
    const def =
      child.default !== undefined
        ? `default \`${JSON.stringify(child.default)}\``
        : required
          ? 'required'
          : 'optional';
    out.push(`| \`${p}\` | ${typeOf(child)} | ${def} | ${child.description ?? ''} |`);
  }
}

/** The markdown table of every key. */
export function profileKeyTable(): string {
  const schema = z.toJSONSchema(profileSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = ['| key | type | default | meaning |', '|---|---|---|---|'];
  rows(schema, '', out);
  return out.join('\n');
}

/** docs/profile.md with the generated table put between the markers. */
export function renderProfileDoc(current: string): string {
  const start = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/profile.md lacks the markers ${BEGIN} … ${END}`);
  return `${current.slice(0, start + BEGIN.length)}\n${profileKeyTable()}\n${current.slice(end)}`;
}

if (process.argv.includes('--write')) {
  writeFileSync(DOC_PATH, renderProfileDoc(readFileSync(DOC_PATH, 'utf8')));
  console.log(`wrote ${DOC_PATH}`);
}
