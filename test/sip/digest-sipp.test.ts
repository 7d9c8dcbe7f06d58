/**
 * SIPp as an independent digest implementation: SIPp's UAC answers our DigestServer's
 * challenges, and SIPp's UAS (verifyauth) checks our DigestClient's responses.
 * Only loopback traffic; every wait is bounded.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DigestClient, DigestServer, type DigestVerdict } from '../../harness/sip/digest.ts';
import { describeWithPeers } from '../support/peers.ts';

interface RunResult {
  code: number | null;
  output: string;
}

function runSipp(args: string[], cwd: string, limitMs = 15_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('sipp', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      if (output.length < 20_000) output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      if (output.length < 20_000) output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, output: String(e) });
    });
  });
}

/** Header value by name (case-insensitive), first occurrence. */
function header(msg: string, name: string): string | undefined {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'im');
  return re.exec(msg)?.[1]?.trim();
}

function headers(msg: string, name: string): string[] {
  const re = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'gim');
  return [...msg.matchAll(re)].map((m) => (m[1] ?? '').trim());
}

function response(req: string, status: string, extra: string[] = []): string {
  const lines = [`SIP/2.0 ${status}`];
  for (const v of headers(req, 'Via')) lines.push(`Via: ${v}`);
  lines.push(`From: ${header(req, 'From')}`);
  const to = header(req, 'To') ?? '';
  lines.push(`To: ${to.includes('tag=') ? to : `${to};tag=harness1`}`);
  lines.push(
    `Call-ID: ${header(req, 'Call-ID')}`,
    `CSeq: ${header(req, 'CSeq')}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  );
  return lines.join('\r\n');
}

const UAC_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
  <send retrans="500">
    <![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]>;tag=[call_number]
To: <sip:alice@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
Max-Forwards: 70
Expires: 60
Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:alice@[remote_ip]>;tag=[call_number]
To: <sip:alice@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:alice@[local_ip]:[local_port]>
[authentication]
Max-Forwards: 70
Expires: 60
Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
`;

const UAS_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="verify digest">
  <recv request="REGISTER"/>
  <send>
    <![CDATA[
SIP/2.0 401 Unauthorized
[last_Via:]
[last_From:]
[last_To:];tag=sipp[call_number]
[last_Call-ID:]
[last_CSeq:]
WWW-Authenticate: Digest realm="sipp.test", nonce="4b1c9e2a77f0d3", opaque="op4que", algorithm=MD5, qop="auth"
Content-Length: 0

    ]]>
  </send>
  <recv request="REGISTER">
    <action>
      <verifyauth assign_to="authvalid" username="alice" password="wonderland"/>
    </action>
  </recv>
  <nop hide="true" test="authvalid" next="good"/>
  <send next="done">
    <![CDATA[
SIP/2.0 403 Forbidden
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
  <label id="good"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

    ]]>
  </send>
  <label id="done"/>
</scenario>
`;

describeWithPeers(['sipp'], 'digest interop with SIPp', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'digest-sipp-'));
    await writeFile(join(dir, 'uac.xml'), UAC_SCENARIO);
    await writeFile(join(dir, 'uas.xml'), UAS_SCENARIO);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs SIPp's UAC against a registrar built on DigestServer; returns SIPp's exit code and our verdicts. */
  async function sippRegisters(
    password: string,
  ): Promise<{ code: number | null; verdicts: DigestVerdict[]; output: string }> {
    const server = new DigestServer({
      realm: 'harness.test',
      algorithms: ['MD5'],
      credentials: (u) => (u === 'alice' ? 'wonderland' : undefined),
    });
    const sock = dgram.createSocket('udp4');
    const verdicts: DigestVerdict[] = [];
    sock.on('message', (buf, rinfo) => {
      const req = buf.toString('latin1');
      const m = /^(\w+) (\S+) SIP\/2\.0\r?\n/.exec(req);
      if (!m) return;
      const auth = headers(req, 'Authorization');
      const v = server.verify(auth.length > 0 ? auth : undefined, { method: m[1] ?? '', uri: m[2] ?? '' });
      verdicts.push(v);
      const out =
        v.kind === 'ok'
          ? response(req, '200 OK')
          : v.kind === 'no-credentials' || v.kind === 'stale'
            ? response(
                req,
                '401 Unauthorized',
                v.challenges.map((c) => `WWW-Authenticate: ${c}`),
              )
            : response(req, '403 Forbidden');
      sock.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const port = sock.address().port;
    try {
      const r = await runSipp(
        [
          `127.0.0.1:${port}`,
          '-sf',
          'uac.xml',
          '-i',
          '127.0.0.1',
          '-m',
          '1',
          '-au',
          'alice',
          '-ap',
          password,
          '-timeout',
          '10s',
          '-timeout_error',
          '-nostdin',
        ],
        dir,
      );
      return { code: r.code, verdicts, output: r.output };
    } finally {
      sock.close();
    }
  }

  it("SIPp's UAC authenticates against DigestServer (MD5, qop=auth)", async () => {
    const r = await sippRegisters('wonderland');
    expect(
      r.verdicts.map((v) => v.kind),
      r.output.slice(-2000),
    ).toEqual(['no-credentials', 'ok']);
    expect(r.verdicts[1]).toMatchObject({ kind: 'ok', username: 'alice', algorithm: 'MD5' });
    expect(r.code).toBe(0);
  });

  it("SIPp's UAC with a wrong password is refused as wrong-password", async () => {
    const r = await sippRegisters('not-the-password');
    // After the 403 SIPp aborts the call (it may send one more request of its own); the first two count.
    expect(r.verdicts.slice(0, 2).map((v) => v.kind)).toEqual(['no-credentials', 'wrong-password']);
    expect(r.code).not.toBe(0);
  });

  /**
   * Registers with DigestClient against SIPp's UAS; returns the final status code seen. Our socket
   * is bound first, so that SIPp's port (found free just before SIPp starts) cannot be ours; a
   * SIPp that ends before it answered anything (its port taken by another process in between)
   * is started again on another port, at most three times.
   */
  async function registerAgainstSipp(
    password: string,
  ): Promise<{ status: number | undefined; sipp: RunResult }> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const local = sock.address().port;
    const responses: string[] = [];
    sock.on('message', (b) => responses.push(b.toString('latin1')));
    try {
      for (let attempt = 1; ; attempt++) {
        const r = await registerOnce(sock, local, responses, password);
        if (r.status !== undefined || r.answered || attempt === 3) return r;
      }
    } finally {
      sock.close();
    }
  }

  async function registerOnce(
    sock: dgram.Socket,
    local: number,
    responses: string[],
    password: string,
  ): Promise<{ status: number | undefined; sipp: RunResult; answered: boolean }> {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const sippPort = probe.address().port;
    probe.close();
    let sippEnded = false;
    const sippRun = runSipp(
      [
        '-sf',
        'uas.xml',
        '-i',
        '127.0.0.1',
        '-p',
        String(sippPort),
        '-m',
        '1',
        '-timeout',
        '10s',
        '-timeout_error',
        '-nostdin',
      ],
      dir,
    ).then((r) => {
      sippEnded = true;
      return r;
    });
    responses.length = 0;
    const client = new DigestClient({ username: 'alice', password });
    const uri = `sip:127.0.0.1:${sippPort}`;
    const request = (cseq: number, branch: string, auth?: string) =>
      [
        `REGISTER ${uri} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${branch}`,
        'From: <sip:alice@127.0.0.1>;tag=a1',
        'To: <sip:alice@127.0.0.1>',
        'Call-ID: digest-sipp-1@127.0.0.1',
        `CSeq: ${cseq} REGISTER`,
        `Contact: <sip:alice@127.0.0.1:${local}>`,
        ...(auth ? [`Authorization: ${auth}`] : []),
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
    // The first request stops waiting when SIPp has ended (it never answered: another try).
    const waitFor = async (cseq: number, send: () => void): Promise<string | undefined> => {
      for (let i = 0; i < 40 && !(cseq === 1 && sippEnded); i++) {
        if (i % 4 === 0) send();
        await new Promise((r) => setTimeout(r, 100));
        const got = responses.find((x) => header(x, 'CSeq')?.startsWith(`${cseq} `));
        if (got) return got;
      }
      return undefined;
    };
    const first = await waitFor(1, () => sock.send(request(1, 'one'), sippPort, '127.0.0.1'));
    const challenge = first ? header(first, 'WWW-Authenticate') : undefined;
    const auth = challenge ? client.authorize(challenge, 'REGISTER', uri) : undefined;
    const second = auth
      ? await waitFor(2, () => sock.send(request(2, 'two', auth), sippPort, '127.0.0.1'))
      : undefined;
    const status = second ? Number(/^SIP\/2\.0 (\d{3})/.exec(second)?.[1]) : undefined;
    return { status, sipp: await sippRun, answered: first !== undefined };
  }

  it("our DigestClient's response passes SIPp's verifyauth (MD5, qop=auth)", async () => {
    const r = await registerAgainstSipp('wonderland');
    expect(r.status, r.sipp.output.slice(-2000)).toBe(200);
    expect(r.sipp.code).toBe(0);
  });

  it("a wrong password fails SIPp's verifyauth", async () => {
    const r = await registerAgainstSipp('wrong');
    expect(r.status).toBe(403);
  });
});
