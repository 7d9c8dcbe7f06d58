/**
 * The live console of `sbc-harness run --ui`: a small HTTP server (node:http, nothing else) on
 * a loopback address by default, serving one page (reports/live-console-page.ts), the run's
 * events as Server-Sent Events (`GET /events`: the history first, so a page that connects late
 * catches up, then each event as it happens), and the engineer's answers (`POST /answer`).
 *
 * A random token, in the address the run prints, guards every request: the page and the feed
 * want it as `?t=`, an answer wants it in the `x-console-token` header (with a JSON body), so
 * another user of the host, or a web page in the engineer's browser, can neither watch nor
 * answer for the engineer. The server listens where it is told and nowhere else: 127.0.0.1
 * port 8765 by default, or a free port when 8765 is taken (a port given with --ui-listen is
 * never replaced); an address outside loopback is taken only from --ui-listen, with a warning.
 *
 * SIP messages of the running cases are redrawn as ladders (the HTML report's drawing) at most
 * every 250 ms per case; everything the server keeps is bounded.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { liveConsolePage, liveLadder } from '../../reports/index.ts';
import type { Profile } from '../config/profile-schema.ts';
import { type RunEvent, RunEvents, type SipEvidenceMessage } from '../runner/index.ts';
import { ConsolePrompter } from './console-prompter.ts';

/** Where the console listens unless told otherwise. */
export const DEFAULT_CONSOLE_HOST = '127.0.0.1';
export const DEFAULT_CONSOLE_PORT = 8765;

/** Messages kept per running case for its ladder, and characters of one message's text. */
const MAX_LADDER_MESSAGES = 400;
const MAX_MESSAGE_CHARS = 16 * 1024;
/** Pages connected at once; a client whose unsent data passes the limit is dropped (it reconnects). */
const MAX_CLIENTS = 16;
const MAX_CLIENT_BACKLOG = 8 * 1024 * 1024;
const MAX_BODY_BYTES = 16 * 1024;
const LADDER_EVERY_MS = 250;
const HEARTBEAT_MS = 15_000;
/** Events replayed to a late page beyond which step lines are no longer kept. */
const MAX_REPLAYED_STEPS = 20_000;

export interface ListenAddress {
  host: string;
  /** Absent: the default port (or a free one when it is taken). */
  port?: number;
}

/**
 * Parses `--ui-listen`: `ADDR:PORT`, `[IPv6]:PORT`, `ADDR` or `:PORT` (port 0: any free port). The address is an IP
 * literal (or `localhost`, taken as 127.0.0.1): a name could resolve off the host.
 */
export function parseListen(v: string): ListenAddress | { error: string } {
  const s = v.trim();
  let host = '';
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) {
    host = v6[1] ?? '';
    port = v6[2];
  } else if (isIP(s) === 6) host = s;
  else {
    const m = /^([^:]*)(?::(\d*))?$/.exec(s);
    if (!m) return { error: `--ui-listen takes ADDR:PORT (e.g. 127.0.0.1:8765), not "${v}"` };
    host = m[1] ?? '';
    port = m[2];
  }
  if (host === '' || host === 'localhost') host = DEFAULT_CONSOLE_HOST;
  if (isIP(host) === 0) return { error: `--ui-listen wants an IP address, not "${host}"` };
  if (port === undefined || port === '') return { host };
  const n = Number(port);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    return { error: `--ui-listen: the port must be 1 to 65535 (or 0: any free port), not "${port}"` };
  return { host, port: n };
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  return h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

export interface LiveConsoleOptions {
  events: RunEvents;
  prompter: ConsolePrompter;
  listen?: ListenAddress;
  /** Address → lane name of the ladders (the run's actors). */
  actors?: Record<string, string>;
  /** The run in a few words, for the page's header. */
  title?: string;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

export interface LiveConsole {
  /** The page's address, token included. */
  url: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

interface Client {
  res: ServerResponse;
}

/** The run's actors as the ladders name them (the same map as the run's journal header). */
export function consoleActors(p: Profile): Record<string, string> {
  return {
    [p.provider.address]: 'Provider',
    [p.sbc.wan.address]: 'SBC WAN',
    [p.sbc.lan.address]: 'SBC LAN',
    [p.oxo.address]: 'OXO Connect',
  };
}

/** Starts the console; resolves once it listens. */
export async function startLiveConsole(o: LiveConsoleOptions): Promise<LiveConsole> {
  const token = o.token ?? randomBytes(18).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const actors = o.actors ?? {};
  const clients = new Set<Client>();
  /** SIP of the running cases (bounded), and which ladders changed since the last drawing. */
  const sip = new Map<string, { messages: SipEvidenceMessage[]; omitted: number }>();
  const dirty = new Set<string>();
  let ladderTimer: NodeJS.Timeout | undefined;

  const tokenOk = (given: unknown): boolean => {
    if (typeof given !== 'string') return false;
    const b = Buffer.from(given);
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes);
  };
  const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const send = (c: Client, chunk: string) => {
    if (c.res.writableLength > MAX_CLIENT_BACKLOG) {
      clients.delete(c);
      c.res.destroy();
      return;
    }
    c.res.write(chunk);
  };
  const broadcast = (event: string, data: unknown) => {
    if (clients.size === 0) return;
    const chunk = frame(event, data);
    for (const c of clients) send(c, chunk);
  };
  const ladderOf = (id: string) => {
    const s = sip.get(id);
    return liveLadder(id, s?.messages ?? [], actors, s?.omitted ?? 0);
  };
  const flushLadders = () => {
    ladderTimer = undefined;
    for (const id of dirty) broadcast('ladder', ladderOf(id));
    dirty.clear();
  };
  const openList = () => ({ questions: o.prompter.open });
  // What a late page replays: the run's events without the SIP (drawn as ladders instead). Kept
  // here rather than read from RunEvents.history, whose bound SIP events can fill on a long run;
  // past the bound only the step lines are left out, never a case's start or end.
  const past: RunEvent[] = o.events.history.filter((e) => e.type !== 'sip');

  const offEvents = o.events.on((e: RunEvent) => {
    if (e.type === 'sip') {
      const s = sip.get(e.id) ?? { messages: [], omitted: 0 };
      sip.set(e.id, s);
      if (s.messages.length >= MAX_LADDER_MESSAGES) s.omitted++;
      else {
        const m = e.message;
        s.messages.push(
          m.text.length > MAX_MESSAGE_CHARS
            ? {
                ...m,
                text: `${m.text.slice(0, MAX_MESSAGE_CHARS)}\n… (${m.text.length - MAX_MESSAGE_CHARS} more characters in the case's evidence)`,
              }
            : m,
        );
      }
      dirty.add(e.id);
      ladderTimer ??= setTimeout(flushLadders, LADDER_EVERY_MS);
      return;
    }
    if (e.type !== 'case-step' || past.length < MAX_REPLAYED_STEPS) past.push(e);
    if (e.type === 'case-start') sip.delete(e.id);
    if (e.type === 'case-end') {
      dirty.delete(e.id);
      sip.delete(e.id);
    }
    broadcast('run', e);
  });
  const offPrompter = o.prompter.onChange(() => broadcast('questions', openList()));

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    const refuse = (status: number, error: string) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(`${JSON.stringify({ error })}\n`);
    };
    if (req.method === 'GET' && url.pathname === '/') {
      if (!tokenOk(url.searchParams.get('t')))
        return refuse(403, 'open the address that `sbc-harness run --ui` printed, with its token');
      const nonce = randomBytes(16).toString('base64');
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': `default-src 'none'; style-src 'nonce-${nonce}' 'unsafe-inline'; script-src 'nonce-${nonce}'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      });
      res.end(liveConsolePage({ token, nonce, title: o.title ?? '' }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      if (!tokenOk(url.searchParams.get('t'))) return refuse(403, 'wrong or missing token');
      if (clients.size >= MAX_CLIENTS) return refuse(503, `at most ${MAX_CLIENTS} pages at once`);
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        Connection: 'keep-alive',
      });
      const c: Client = { res };
      // The history first (the SIP as each running case's ladder), then the live feed.
      const parts: string[] = ['retry: 2000\n\n', frame('hello', { nowMs: Date.now() })];
      for (const e of past) parts.push(frame('run', e));
      for (const id of sip.keys()) parts.push(frame('ladder', ladderOf(id)));
      parts.push(frame('questions', openList()));
      res.write(parts.join(''));
      clients.add(c);
      req.on('close', () => clients.delete(c));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/answer') {
      if (!tokenOk(req.headers['x-console-token'])) return refuse(403, 'wrong or missing token');
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
        return refuse(415, 'the answer is JSON');
      let size = 0;
      const chunks: Buffer[] = [];
      let tooLarge = false;
      req.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_BODY_BYTES) tooLarge = true;
        else chunks.push(d);
      });
      req.on('end', () => {
        if (tooLarge) return refuse(413, `an answer is at most ${MAX_BODY_BYTES} bytes`);
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return refuse(400, 'the answer is not JSON');
        }
        const r = o.prompter.answer((body as { id?: unknown } | null)?.id, body);
        if (!r.ok) return refuse(r.status, r.error);
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"ok":true}\n');
      });
      req.on('error', () => res.destroy());
      return;
    }
    refuse(404, 'not found');
  };

  const server = createServer(handle);
  server.headersTimeout = 10_000;
  server.requestTimeout = 0; // the event stream stays open
  const host = o.listen?.host ?? DEFAULT_CONSOLE_HOST;
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  try {
    await listen(o.listen?.port ?? DEFAULT_CONSOLE_PORT);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || o.listen?.port !== undefined) {
      offEvents();
      offPrompter();
      throw err;
    }
    await listen(0);
  }
  const heartbeat = setInterval(() => {
    for (const c of clients) send(c, ': still here\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/?t=${token}`,
    host,
    port,
    token,
    close: async () => {
      clearInterval(heartbeat);
      if (ladderTimer) clearTimeout(ladderTimer);
      offEvents();
      offPrompter();
      for (const c of clients) c.res.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** What `run --ui` starts: the console, its prompter and the events it follows. */
export interface RunConsole {
  console: LiveConsole;
  prompter: ConsolePrompter;
  events: RunEvents;
  /** Stops the console (open questions fail). */
  close(): Promise<void>;
}

/**
 * Starts the console for a run from the `--ui-listen` value (if any). Warnings (an address
 * outside loopback) go to `warn`; a bad value throws with a message for the engineer.
 */
export async function startRunConsole(
  listenArg: string | undefined,
  profile: Profile,
  title: string,
  warn: (s: string) => void,
  events: RunEvents = new RunEvents(),
): Promise<RunConsole> {
  let listen: ListenAddress | undefined;
  if (listenArg !== undefined) {
    const l = parseListen(listenArg);
    if ('error' in l) throw new Error(l.error);
    listen = l;
    if (!isLoopback(l.host))
      warn(
        `--ui-listen ${l.host}: the console is reachable from other hosts, over plain HTTP; anyone who learns its address (token included) can answer for you. Prefer 127.0.0.1 with an SSH tunnel (ssh -L 8765:127.0.0.1:8765 host).`,
      );
  }
  const prompter = new ConsolePrompter();
  const c = await startLiveConsole({
    events,
    prompter,
    ...(listen ? { listen } : {}),
    actors: consoleActors(profile),
    title,
  });
  return {
    console: c,
    prompter,
    events,
    close: async () => {
      prompter.shutdown();
      await c.close();
    },
  };
}
