/**
 * Runs baresip (Debian's baresip 1.0) as a real SIP user agent in tests, headless: its
 * configuration lives in a temp directory (`baresip -f DIR`), no console UI module is loaded
 * (stdin is ignored), and it is driven through the `ctrl_tcp` module — netstring-framed JSON
 * commands on a loopback TCP port, answered by JSON responses and interleaved JSON events.
 *
 * Audio: the microphone is the `aufile` source (a WAV with a known tone, written here), and
 * what baresip hears is recorded by the `sndfile` audio filter, which dumps each call's
 * decoded audio to `dump-<peer>-dec.wav` in the directory. The player is an `aubridge`
 * device nobody reads, so no sound device is touched.
 *
 * Every run is bounded: baresip gets `-t <seconds>` (it quits by itself), a kill timer backs
 * that up, and `stop()` always kills the process and removes the directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toneSource } from '../../harness/actors/audio-sources.ts';
import { encodeWav } from '../../harness/media/capture/index.ts';

/** Audio codec modules baresip may load; each fixes the sample rate of the call. */
export type BaresipCodec = 'g711' | 'g722';

const CODEC_RATE: Record<BaresipCodec, number> = { g711: 8000, g722: 16000 };

export interface BaresipOptions {
  /** Loopback address baresip binds SIP and RTP to (e.g. 127.0.30.1). */
  address: string;
  /** The single codec module loaded (its rate is the rate of the source WAV). Default g711. */
  codec?: BaresipCodec;
  /** Frequency of the tone baresip sends (its aufile source). */
  toneHz: number;
  /** Length of the source WAV in seconds (default 20: longer than any call of a test). */
  toneSeconds?: number;
  /** baresip quits by itself after this many seconds (default 25). */
  lifetimeSeconds?: number;
  /** Pass `-v` (verbose) and keep the output for failure messages. */
  verbose?: boolean;
}

/** One JSON message from baresip's ctrl_tcp: a command response or an event. */
export interface BaresipMessage {
  response?: boolean;
  ok?: boolean;
  data?: string;
  token?: string;
  event?: boolean;
  type?: string;
  class?: string;
  peeruri?: string;
  param?: string;
  [key: string]: unknown;
}

/** A recorded WAV: mono (first channel) 16-bit PCM. */
export interface WavPcm {
  sampleRate: number;
  samples: Int16Array;
}

/** Where Debian (1.0: /usr/lib/baresip; later: the multiarch directory) and source builds put modules. */
const MODULE_DIRS = [
  '/usr/lib/baresip/modules',
  '/usr/lib/x86_64-linux-gnu/baresip/modules',
  '/usr/lib/aarch64-linux-gnu/baresip/modules',
  '/usr/local/lib/baresip/modules',
];

/** The first module directory holding ctrl_tcp, or the Debian 1.0 one. */
export function baresipModuleDir(): string {
  return MODULE_DIRS.find((d) => existsSync(join(d, 'ctrl_tcp.so'))) ?? MODULE_DIRS[0]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A free port on `address` for `kind` (bound once, then released: baresip needs a number). */
export function freePort(kind: 'udp' | 'tcp', address: string): Promise<number> {
  if (kind === 'udp') {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, address, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, address, () => {
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Splits netstrings (`<len>:<payload>,`) off the front of `buf`. Returns the complete payloads
 * and the unconsumed rest; `error` is set when the framing is broken (the stream is unusable).
 */
export function splitNetstrings(buf: Buffer): { payloads: Buffer[]; rest: Buffer; error?: string } {
  const payloads: Buffer[] = [];
  let pos = 0;
  for (let guard = 0; guard < 10_000 && pos < buf.length; guard++) {
    const colon = buf.indexOf(0x3a, pos);
    if (colon < 0) {
      if (buf.length - pos > 10) return { payloads, rest: buf.subarray(pos), error: 'length too long' };
      break;
    }
    const lenText = buf.toString('ascii', pos, colon);
    if (!/^\d{1,9}$/.test(lenText))
      return { payloads, rest: buf.subarray(pos), error: `bad length "${lenText}"` };
    const len = Number(lenText);
    const end = colon + 1 + len;
    if (buf.length < end + 1) break;
    if (buf[end] !== 0x2c) return { payloads, rest: buf.subarray(pos), error: 'missing trailing comma' };
    payloads.push(buf.subarray(colon + 1, end));
    pos = end + 1;
  }
  return { payloads, rest: buf.subarray(pos) };
}

/** Frames one payload as a netstring. */
export function netstring(payload: string): Buffer {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

/**
 * Reads a PCM WAV (16-bit, any channel count: the first channel is kept). Returns undefined
 * for anything else or for a truncated/garbled file; never throws.
 */
export function parseWav(file: Uint8Array): WavPcm | undefined {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    return undefined;
  let pos = 12;
  let fmt: { channels: number; rate: number; bits: number; format: number } | undefined;
  for (let guard = 0; guard < 64 && pos + 8 <= b.length; guard++) {
    const id = b.toString('ascii', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    const body = pos + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= b.length) {
      fmt = {
        format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        rate: b.readUInt32LE(body + 4),
        bits: b.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || (fmt.format !== 1 && fmt.format !== 0xfffe) || fmt.bits !== 16 || fmt.channels < 1)
        return undefined;
      if (fmt.rate <= 0) return undefined;
      // sndfile may leave the data size unset (0 or 0xffffffff) when it is killed: take what is there.
      const avail = b.length - body;
      const bytes = size === 0 || size > avail ? avail : size;
      const frame = 2 * fmt.channels;
      const n = Math.floor(bytes / frame);
      const samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(body + i * frame);
      return { sampleRate: fmt.rate, samples };
    }
    pos = body + size + (size & 1);
  }
  return undefined;
}

/** A running baresip with its ctrl_tcp connection. */
export class Baresip {
  private buf: Buffer = Buffer.alloc(0);
  private nextToken = 1;
  private readonly pending = new Map<string, (m: BaresipMessage) => void>();
  private readonly waiters: Array<{
    match: (m: BaresipMessage) => boolean;
    resolve: (m: BaresipMessage) => void;
  }> = [];
  /** Every event received, in order. */
  readonly events: BaresipMessage[] = [];
  /** Framing or JSON errors on the control connection. */
  readonly protocolErrors: string[] = [];
  private output = '';
  private exited: Promise<number | null>;
  private killTimer: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    readonly sipPort: number,
    readonly ctrlPort: number,
    readonly sampleRate: number,
    readonly proc: ChildProcess,
    private ctrl: Socket | undefined,
    lifetimeSeconds: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (proc.exitCode !== null) resolve(proc.exitCode);
      else proc.once('exit', (code) => resolve(code));
    });
    const keep = (d: Buffer) => {
      if (this.output.length < 200_000) this.output += d.toString('utf8');
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.killTimer = setTimeout(() => proc.kill('SIGKILL'), (lifetimeSeconds + 5) * 1000);
    this.killTimer.unref();
  }

  /** Writes the configuration, starts baresip and connects to its ctrl_tcp port (≤ 8 s). */
  static async start(o: BaresipOptions): Promise<Baresip> {
    const codec = o.codec ?? 'g711';
    const rate = CODEC_RATE[codec];
    const lifetime = o.lifetimeSeconds ?? 25;
    const dir = mkdtempSync(join(tmpdir(), 'baresip-'));
    const sipPort = await freePort('udp', o.address);
    const ctrlPort = await freePort('tcp', '127.0.0.1');
    const tonePath = join(dir, 'tone.wav');
    const tone = toneSource(o.toneHz, rate, -13, (o.toneSeconds ?? 20) * 1000).next(
      rate * (o.toneSeconds ?? 20),
    );
    writeFileSync(tonePath, encodeWav(tone ?? new Int16Array(0), rate));
    writeFileSync(join(dir, 'config'), configText({ ...o, codec }, sipPort, ctrlPort, dir, tonePath));
    // Non-registering account: baresip only places calls to explicit URIs.
    writeFileSync(join(dir, 'accounts'), `<sip:baresip@${o.address}:${sipPort}>;regint=0\n`);
    // Empty contacts file: otherwise baresip writes a sample one.
    writeFileSync(join(dir, 'contacts'), '');
    const args = ['-f', dir, '-t', String(lifetime), ...(o.verbose ? ['-v'] : [])];
    const proc = spawn('baresip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.once('error', () => undefined);
    const b = new Baresip(dir, sipPort, ctrlPort, rate, proc, undefined, lifetime);
    try {
      await b.connect();
    } catch (err) {
      await b.stop();
      throw new Error(`${(err as Error).message}\nbaresip output:\n${b.log()}`);
    }
    return b;
  }

  private async connect(): Promise<void> {
    const deadline = Date.now() + 8000;
    for (let attempt = 0; attempt < 80 && Date.now() < deadline; attempt++) {
      if (this.proc.exitCode !== null) throw new Error(`baresip exited with ${this.proc.exitCode}`);
      const sock = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(this.ctrlPort, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', () => {
          s.destroy();
          resolve(undefined);
        });
      });
      if (sock) {
        this.ctrl = sock;
        sock.on('data', (d: Buffer) => this.onData(d));
        sock.on('error', () => undefined);
        return;
      }
      await sleep(100);
    }
    throw new Error(`baresip's ctrl_tcp port ${this.ctrlPort} did not open within 8 s`);
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    const { payloads, rest, error } = splitNetstrings(this.buf);
    this.buf = error ? Buffer.alloc(0) : rest;
    if (error) this.protocolErrors.push(error);
    for (const p of payloads) {
      let m: BaresipMessage;
      try {
        m = JSON.parse(p.toString('utf8')) as BaresipMessage;
      } catch {
        this.protocolErrors.push(`not JSON: ${p.toString('utf8').slice(0, 80)}`);
        continue;
      }
      if (m.response && typeof m.token === 'string') {
        const r = this.pending.get(m.token);
        this.pending.delete(m.token);
        r?.(m);
      }
      if (m.event) {
        this.events.push(m);
        for (let i = this.waiters.length - 1; i >= 0; i--) {
          const w = this.waiters[i]!;
          if (w.match(m)) {
            this.waiters.splice(i, 1);
            w.resolve(m);
          }
        }
      }
    }
  }

  /** Sends one ctrl_tcp command and waits (≤ `timeoutMs`) for its response. */
  command(command: string, params = '', timeoutMs = 5000): Promise<BaresipMessage> {
    const sock = this.ctrl;
    if (!sock) return Promise.reject(new Error('not connected to baresip'));
    const token = String(this.nextToken++);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip did not answer "${command} ${params}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, (m) => {
        clearTimeout(t);
        resolve(m);
      });
      sock.write(netstring(JSON.stringify({ command, params, token })));
    });
  }

  /** The first event of `type` (one already received counts), within `timeoutMs`. */
  waitEvent(type: string, timeoutMs = 8000): Promise<BaresipMessage> {
    const seen = this.events.find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        match: (m: BaresipMessage) => m.type === type,
        resolve: (m: BaresipMessage) => {
          clearTimeout(t);
          resolve(m);
        },
      };
      const t = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        const got = this.events.map((e) => e.type).join(', ') || 'none';
        reject(new Error(`no ${type} event from baresip within ${timeoutMs} ms (events: ${got})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The decoded audio baresip received on its (first) call, as dumped by `sndfile`. */
  receivedAudio(): WavPcm | undefined {
    const name = readdirSync(this.dir).find((f) => f.startsWith('dump-') && f.endsWith('-dec.wav'));
    return name ? parseWav(readFileSync(join(this.dir, name))) : undefined;
  }

  /** What baresip printed (stdout and stderr), for failure messages. */
  log(): string {
    return this.output;
  }

  /** Asks baresip to quit, kills it if it has not exited after 2 s, removes the directory. */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      if (this.ctrl && !this.ctrl.destroyed) this.ctrl.write(netstring(JSON.stringify({ command: 'quit' })));
      const done = await Promise.race([this.exited.then(() => true), sleep(2000).then(() => false)]);
      if (!done) {
        this.proc.kill('SIGKILL');
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    clearTimeout(this.killTimer);
    this.ctrl?.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function configText(
  o: BaresipOptions & { codec: BaresipCodec },
  sipPort: number,
  ctrlPort: number,
  dir: string,
  tonePath: string,
): string {
  const lines: Array<[string, string]> = [
    ['poll_method', 'epoll'],
    ['sip_listen', `${o.address}:${sipPort}`],
    // An IP address here makes baresip use it for SDP/RTP instead of the default route's.
    ['net_interface', o.address],
    ['call_local_timeout', '20'],
    ['call_max_calls', '2'],
    ['audio_source', `aufile,${tonePath}`],
    ['audio_player', 'aubridge,unused'],
    ['audio_alert', 'aubridge,unused'],
    ['audio_level', 'no'],
    ['ausrc_format', 's16'],
    ['auplay_format', 's16'],
    ['auenc_format', 's16'],
    ['audec_format', 's16'],
    ['jitter_buffer_delay', '1-10'],
    ['rtp_stats', 'no'],
    ['module_path', baresipModuleDir()],
    ['module', `${o.codec}.so`],
    ['module', 'aufile.so'],
    ['module', 'aubridge.so'],
    ['module', 'sndfile.so'],
    ['snd_path', dir],
    ['module_app', 'account.so'],
    ['module_app', 'menu.so'],
    ['module_app', 'ctrl_tcp.so'],
    ['ctrl_tcp_listen', `127.0.0.1:${ctrlPort}`],
  ];
  return `${lines.map(([k, v]) => `${k}\t${v}`).join('\n')}\n`;
}
