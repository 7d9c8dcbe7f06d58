/**
 * The real peers and libraries the harness and its tests can use on this host: how to
 * find each one, what it is for, and the command that installs it when it is missing.
 * `sbc-harness doctor` prints this table; tests use it to skip (or, in CI, fail) cleanly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

export type ToolKind = 'program' | 'library';

export interface HostTool {
  /** Short id used by tests and `doctor`, e.g. "sipp". */
  id: string;
  kind: ToolKind;
  /** What the harness uses it for. */
  purpose: string;
  /** Program names to look for on PATH, or library file names to load. */
  names: string[];
  /** Debian package(s) that provide it. */
  debian: string[];
  /** Arguments that make the program print its version. */
  versionArgs?: string[];
}

export const HOST_TOOLS: readonly HostTool[] = [
  {
    id: 'sipp',
    kind: 'program',
    purpose: 'SIP peer for interop tests and the call-rate benchmark',
    names: ['sipp'],
    debian: ['sip-tester'],
    versionArgs: ['-v'],
  },
  {
    id: 'tshark',
    kind: 'program',
    purpose: 'packet dissector: cross-checks RTP jitter/loss and pcap files',
    names: ['tshark'],
    debian: ['tshark'],
    versionArgs: ['--version'],
  },
  {
    id: 'ffmpeg',
    kind: 'program',
    purpose: 'codec oracle for G.711, G.722 and G.729',
    names: ['ffmpeg'],
    debian: ['ffmpeg'],
    versionArgs: ['-version'],
  },
  {
    id: 'bcg729',
    kind: 'library',
    purpose: 'G.729 test and benchmark oracle; G.729 itself is TypeScript (loaded at run time, GPL)',
    names: ['libbcg729.so.0'],
    debian: ['libbcg729-0'],
  },
  {
    id: 'espeak-ng',
    kind: 'program',
    purpose: 'speech for DTMF talk-off tests and speech-like test signals',
    names: ['espeak-ng'],
    debian: ['espeak-ng'],
    versionArgs: ['--version'],
  },
  {
    id: 'kamailio',
    kind: 'program',
    purpose: 'real SIP proxy for the Kamailio + rtpengine lab SBC',
    names: ['kamailio'],
    debian: ['kamailio', 'kamailio-extra-modules', 'kamailio-tls-modules'],
    versionArgs: ['-v'],
  },
  {
    id: 'rtpengine',
    kind: 'program',
    purpose: 'media relay and transcoder of the lab SBC',
    names: ['rtpengine'],
    debian: ['rtpengine-daemon'],
    versionArgs: ['--version'],
  },
  {
    id: 'baresip',
    kind: 'program',
    purpose: 'independent SIP user agent calling through the SBC',
    names: ['baresip'],
    debian: ['baresip'],
    versionArgs: ['-h'],
  },
  {
    id: 'chromium',
    kind: 'program',
    purpose: 'real browser that opens the HTML evidence report in CI (driven by playwright-core)',
    names: ['chromium'],
    debian: ['chromium'],
    versionArgs: ['--version'],
  },
  {
    id: 'libreoffice',
    kind: 'program',
    purpose: 'converts the DOCX interworking report to PDF in CI, to check Word output renders',
    names: ['libreoffice'],
    debian: ['libreoffice-writer'],
    versionArgs: ['--version'],
  },
  {
    id: 'poppler',
    kind: 'program',
    purpose:
      'reads the PDF of the DOCX report back in CI (pdftotext), to check each mark sits under its column',
    names: ['pdftotext'],
    debian: ['poppler-utils'],
    versionArgs: ['-v'],
  },
];

export interface ToolStatus {
  tool: HostTool;
  available: boolean;
  /** Full path of the program or library, when found. */
  path?: string;
  /** First line of its version output, when it has one. */
  version?: string;
  /** Command that installs it on Debian. */
  installHint: string;
}

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib',
  '/usr/local/lib',
];

function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

function findLibrary(name: string): string | undefined {
  for (const dir of LIB_DIRS) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  // Ask the dynamic loader as a last resort: koffi uses dlopen, which knows ld.so.conf.
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi') as { load(n: string): { unload(): void } };
    const lib = koffi.load(name);
    lib.unload();
    return name;
  } catch {
    return undefined;
  }
}

function readVersion(path: string, args: string[]): string | undefined {
  try {
    const out = execFileSync(path, args, {
      encoding: 'utf8',
      timeout: 5000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return firstLine(out);
  } catch (err) {
    // Some programs (sipp -v) print their version and exit non-zero.
    const e = err as { stdout?: string; stderr?: string };
    return firstLine(e.stdout ?? '') ?? firstLine(e.stderr ?? '');
  }
}

function firstLine(text: string): string | undefined {
  const line = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  return line;
}

export function installHint(tool: HostTool): string {
  return `apt-get install -y --no-install-recommends ${tool.debian.join(' ')}`;
}

const cache = new Map<string, ToolStatus>();

/** Looks a tool up (cached per process). `withVersion` also runs it once to read its version. */
export function probeTool(id: string, withVersion = false): ToolStatus {
  const cached = cache.get(id);
  if (cached && (!withVersion || cached.version !== undefined || !cached.available)) return cached;
  const tool = HOST_TOOLS.find((t) => t.id === id);
  if (!tool) throw new Error(`unknown host tool "${id}" (known: ${HOST_TOOLS.map((t) => t.id).join(', ')})`);
  let path: string | undefined;
  for (const name of tool.names) {
    path = tool.kind === 'program' ? findOnPath(name) : findLibrary(name);
    if (path) break;
  }
  const status: ToolStatus = { tool, available: path !== undefined, installHint: installHint(tool) };
  if (path) status.path = path;
  if (path && withVersion && tool.versionArgs) {
    const v = readVersion(path, tool.versionArgs);
    if (v) status.version = v;
  }
  cache.set(id, status);
  return status;
}

export function probeAll(withVersion = false): ToolStatus[] {
  return HOST_TOOLS.map((t) => probeTool(t.id, withVersion));
}
