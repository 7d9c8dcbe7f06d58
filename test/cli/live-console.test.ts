/**
 * The live console's server without a browser: `--ui-listen` parsing, loopback by default and a
 * warning for anything else, port 8765 or a free one when it is taken (never in place of a port
 * given), the token on every request (page, feed, answers), answers as data from the network
 * (wrong type, too large, unknown question), and a feed that replays the history to a late
 * client with each running case's SIP as a ladder.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsolePrompter } from '../../harness/cli/console-prompter.ts';
import {
  DEFAULT_CONSOLE_PORT,
  isLoopback,
  type LiveConsole,
  parseListen,
  startLiveConsole,
  startRunConsole,
} from '../../harness/cli/live-console.ts';
import { buildProgram } from '../../harness/cli/main.ts';
import { runCommand } from '../../harness/cli/run-command.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import { type Instruction, RunEvents } from '../../harness/runner/index.ts';

const HOST = '127.0.98.2';
const open: Array<LiveConsole | Server> = [];
afterEach(async () => {
  for (const s of open.splice(0)) {
    if ('url' in s) await s.close();
    else await new Promise((r) => s.close(r));
  }
});

async function start(
  events = new RunEvents(),
  prompter = new ConsolePrompter(),
  port: number | undefined = 0,
) {
  const c = await startLiveConsole({
    events,
    prompter,
    listen: port === undefined ? { host: HOST } : { host: HOST, port },
    actors: { '127.0.98.10': 'Provider' },
  });
  open.push(c);
  return c;
}

/** Reads the event stream until `until` names an event that arrived (bounded), then stops. */
async function readFeed(url: string, until: string): Promise<Array<{ event: string; data: unknown }>> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 5000);
  const res = await fetch(url, { signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const frames: Array<{ event: string; data: unknown }> = [];
  try {
    while (!frames.some((f) => f.event === until)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
      let cut = text.indexOf('\n\n');
      while (cut >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) frames.push({ event, data: JSON.parse(data) });
        cut = text.indexOf('\n\n');
      }
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return frames;
}

describe('--ui-listen', () => {
  it('parses addresses and ports', () => {
    expect(parseListen('127.0.0.1:9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListen('127.0.0.1')).toEqual({ host: '127.0.0.1' });
    expect(parseListen(':9001')).toEqual({ host: '127.0.0.1', port: 9001 });
    expect(parseListen('localhost:9002')).toEqual({ host: '127.0.0.1', port: 9002 });
    expect(parseListen('[::1]:9003')).toEqual({ host: '::1', port: 9003 });
    expect(parseListen('::1')).toEqual({ host: '::1' });
    expect(parseListen('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('console.example.com:80')).toHaveProperty('error');
    expect(parseListen('127.0.0.1:70000')).toHaveProperty('error');
    expect(parseListen('127.0.0.1:0x10')).toHaveProperty('error');
  });

  it('knows loopback from the rest', () => {
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
    expect(isLoopback('192.0.2.1')).toBe(false);
    expect(isLoopback('::')).toBe(false);
  });

  it('warns before listening outside loopback', async () => {
    const warnings: string[] = [];
    // 192.0.2.1 (TEST-NET-1) is no address of this host: the warning comes, then the bind fails.
    await expect(
      startRunConsole('192.0.2.1:8765', loadProfile(), 't', (w) => warnings.push(w)),
    ).rejects.toThrow();
    expect(warnings.join(' ')).toMatch(/reachable from other hosts/);
    await expect(startRunConsole('console.example.com', loadProfile(), 't', () => undefined)).rejects.toThrow(
      /IP address/,
    );
  });

  it('stops `run` before any case with a bad --ui-listen (exit code 2)', async () => {
    const lines: string[] = [];
    const dir = join(tmpdir(), `live-console-bad-${process.pid}`);
    const code = await runCommand({ uiListen: 'console.example.com:8765', only: 'T-1', out: dir }, (s) =>
      lines.push(s),
    );
    expect(code).toBe(2);
    expect(lines.join('')).toContain('--ui-listen wants an IP address');
    expect(existsSync(dir)).toBe(false);
  });

  it('is documented in run --help', () => {
    const run = buildProgram(() => undefined).commands.find((c) => c.name() === 'run');
    const help = run?.helpInformation().replace(/\s+/g, ' ') ?? '';
    expect(help).toContain('--ui ');
    expect(help).toContain('--ui-listen <addr:port>');
    expect(help).toContain('127.0.0.1:8765');
  });
});

describe('the console server', () => {
  it('takes port 8765, or a free port when it is taken, but never replaces a port it was given', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(DEFAULT_CONSOLE_PORT, HOST, r));
    open.push(blocker);
    const c = await start(undefined, undefined, undefined);
    expect(c.port).not.toBe(DEFAULT_CONSOLE_PORT);
    expect(c.port).toBeGreaterThan(0);
    expect(c.url).toBe(`http://${HOST}:${c.port}/?t=${c.token}`);
    await expect(start(undefined, undefined, DEFAULT_CONSOLE_PORT)).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });

  it('wants the token for the page, the feed and the answers', async () => {
    const prompter = new ConsolePrompter();
    const c = await start(undefined, prompter);
    const base = `http://${HOST}:${c.port}`;
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await fetch(`${base}/?t=${c.token}x`)).status).toBe(403);
    expect((await fetch(`${base}/events`)).status).toBe(403);
    const page = await fetch(`${base}/?t=${encodeURIComponent(c.token)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'nonce-");
    expect(await page.text()).toContain('sbc-harness live console');

    const i: Instruction = {
      id: '8-3-2#1',
      caseId: '8-3-2',
      kind: 'action',
      side: 'oxo',
      text: 'Answer on Premium Deskphone 1',
      askedAtMs: Date.now(),
    };
    const answered = prompter.instruct(i);
    const id = prompter.open[0]!.id;
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${base}/answer`, { method: 'POST', headers, body });
    const json = { 'content-type': 'application/json' };
    expect((await post(json, JSON.stringify({ id, verdict: 'ok' }))).status).toBe(403);
    expect(
      (await post({ ...json, 'x-console-token': 'guess' }, JSON.stringify({ id, verdict: 'ok' }))).status,
    ).toBe(403);
    const auth = { ...json, 'x-console-token': c.token };
    expect((await post({ 'content-type': 'text/plain', 'x-console-token': c.token }, '{}')).status).toBe(415);
    expect((await post(auth, '{not json')).status).toBe(400);
    expect(
      (await post(auth, JSON.stringify({ id, verdict: 'ok', comment: 'x'.repeat(20_000) }))).status,
    ).toBe(413);
    expect((await post(auth, JSON.stringify({ id: '77', verdict: 'ok' }))).status).toBe(409);
    expect(prompter.open).toHaveLength(1);
    const ok = await post(auth, JSON.stringify({ id, verdict: 'NOK', comment: 'no such\u0007 set' }));
    expect(ok.status).toBe(200);
    expect(await answered).toMatchObject({ verdict: 'nok', comment: 'no such set', via: 'console' });
    expect((await post(auth, JSON.stringify({ id, verdict: 'ok' }))).status).toBe(409);
  });

  it('replays the history to a late page, with the SIP of a running case as its ladder', async () => {
    const events = new RunEvents();
    const prompter = new ConsolePrompter();
    const c = await start(events, prompter);
    events.emit({
      type: 'plan',
      runDir: '/tmp/x',
      cases: [
        { id: 'T-1', section: '6.1', title: 'first', expectedMs: 1000 },
        { id: '8-3-2', section: '8.4', title: 'display', expectedMs: 9000 },
      ],
    });
    events.emit({ type: 'case-start', id: '8-3-2', title: 'display', expectedMs: 9000, atMs: Date.now() });
    events.emit({
      type: 'sip',
      id: '8-3-2',
      message: {
        wallMs: 1,
        protocol: 'UDP',
        src: { address: '127.0.98.10', port: 5060 },
        dst: { address: '127.0.98.11', port: 5060 },
        summary: 'INVITE sip:040555001@sbc SIP/2.0',
        text: 'INVITE sip:040555001@sbc SIP/2.0\r\nContent-Length: 0\r\n\r\n',
      },
    });
    events.emit({ type: 'case-step', id: '8-3-2', step: 'asking the engineer', atMs: Date.now() });
    void prompter.ask('Is the codec order set?', ['yes', 'no']).catch(() => undefined);

    const frames = await readFeed(`http://${HOST}:${c.port}/events?t=${c.token}`, 'questions');
    expect(frames.map((f) => f.event)).toEqual(['hello', 'run', 'run', 'run', 'ladder', 'questions']);
    expect(frames.filter((f) => f.event === 'run').map((f) => (f.data as { type: string }).type)).toEqual([
      'plan',
      'case-start',
      'case-step',
    ]);
    const ladder = frames[4]!.data as { id: string; svg: string; drawn: number };
    expect(ladder.id).toBe('8-3-2');
    expect(ladder.drawn).toBe(1);
    expect(ladder.svg).toContain('<svg class="ladder"');
    expect(ladder.svg).toContain('INVITE');
    expect(ladder.svg).toContain('Provider');
    expect(frames[5]!.data).toMatchObject({
      questions: [{ kind: 'question', text: 'Is the codec order set?', choices: ['yes', 'no'] }],
    });
    prompter.shutdown();
  });
});
