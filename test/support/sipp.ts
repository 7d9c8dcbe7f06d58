/**
 * Runs SIPp (Debian's sip-tester) as a real peer in tests: one process per scenario, bounded
 * by `-m` calls and a global timeout, with its message log kept for the failure message.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippOptions {
  /** A built-in scenario (`uac`, `uas`) or an XML file path. */
  scenario: string;
  transport: 'UDP' | 'TCP';
  localIp: string;
  localPort: number;
  /** host:port of the peer (for UAC scenarios). */
  remote?: string;
  /** Number of calls before SIPp exits (default 1). */
  calls?: number;
  /** Global timeout in seconds (default 15); SIPp fails when it is reached. */
  timeoutSeconds?: number;
  extraArgs?: string[];
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** SIPp's message log (every message sent and received). */
  messages: string;
}

export interface SippRun {
  process: ChildProcess;
  done: Promise<SippResult>;
}

export function startSipp(o: SippOptions): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const messageFile = join(dir, 'messages.log');
  const args = [
    ...(o.scenario === 'uac' || o.scenario === 'uas' ? ['-sn', o.scenario] : ['-sf', o.scenario]),
    '-t',
    o.transport === 'UDP' ? 'u1' : 't1',
    '-i',
    o.localIp,
    '-p',
    String(o.localPort),
    '-m',
    String(o.calls ?? 1),
    '-timeout',
    `${o.timeoutSeconds ?? 15}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_msg',
    '-message_file',
    messageFile,
    ...(o.extraArgs ?? []),
    ...(o.remote ? [o.remote] : []),
  ];
  const child = spawn('sipp', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.length > 200_000) stdout = stdout.slice(-100_000);
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      let messages = '';
      try {
        messages = readFileSync(messageFile, 'utf8');
      } catch {
        // no messages were exchanged
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, messages });
    });
  });
  return { process: child, done };
}

/** A free port on `address` for the given transport (bound once, then released). */
export async function freePort(address: string, transport: 'UDP' | 'TCP'): Promise<number> {
  if (transport === 'UDP') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, address, () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, address, () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Waits until SIPp listens on `port` (TCP: accepts; UDP: a short fixed settle time). */
export async function sippReady(transport: 'UDP' | 'TCP', address: string, port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  if (transport === 'UDP') {
    await new Promise((r) => setTimeout(r, 300));
    return;
  }
  const net = await import('node:net');
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`SIPp did not listen on ${address}:${port} within 5 s`);
}

/** A readable failure message: exit code, the end of stderr and of the message log. */
export function describeSipp(r: SippResult): string {
  return `sipp exited ${r.code}\n--- stderr ---\n${r.stderr.slice(-2000)}\n--- messages ---\n${r.messages.slice(-4000)}`;
}
