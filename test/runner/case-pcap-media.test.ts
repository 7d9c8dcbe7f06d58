/**
 * The case pcap holds the harness's own RTP and RTCP on each leg beside SIP, whatever the SBC:
 * against an external SBC (here the reference SBC started alone, as a lab starts a real one)
 * tshark finds RTP between the provider and the SBC's WAN side and between the OXO and the SBC's
 * LAN side, in both directions; with the embedded SBC, whose ports log the same datagrams from
 * the other end, every datagram is in the pcap once. tshark is the dissector (the oracle).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Lab } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { runPlan } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';
import { describeWithPeers } from '../support/peers.ts';

const LAN_SBC = '127.0.63.2';
const WAN_SBC = '127.0.73.2';
const PROVIDER = '127.0.73.1';
const OXO = '127.0.63.1';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'case-pcap-'));
  dirs.push(d);
  return d;
}

/** The default profile on this test's own addresses (free of other tests' labs). */
function profileOn(kind: 'embedded' | 'external'): Profile {
  const p = structuredClone(loadProfile());
  p.sbc.kind = kind;
  p.sbc.lan.address = LAN_SBC;
  p.sbc.wan.address = WAN_SBC;
  p.provider.address = PROVIDER;
  p.oxo.address = OXO;
  p.oxo.trunk.domain = LAN_SBC;
  p.provider.line.registrationWaitS = 30;
  return p;
}

interface RtpRow {
  src: string;
  dst: string;
  ssrc: string;
  seq: string;
  srcPort: string;
}

/** RTP packets of a pcap as tshark dissects them (RTP found by its heuristic dissector). */
function rtpRows(pcap: string): RtpRow[] {
  const out = execFileSync(
    'tshark',
    [
      '-r',
      pcap,
      '-o',
      'rtp.heuristic_rtp:TRUE',
      '-Y',
      'rtp && !rtcp',
      '-T',
      'fields',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'rtp.ssrc',
      '-e',
      'rtp.seq',
      '-e',
      'udp.srcport',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
  );
  return out
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => {
      const [src, dst, ssrc, seq, srcPort] = l.split('\t') as [string, string, string, string, string];
      return { src, dst, ssrc, seq, srcPort };
    });
}

function sipCount(pcap: string): number {
  const out = execFileSync('tshark', ['-r', pcap, '-Y', 'sip', '-T', 'fields', '-e', 'frame.number'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  return out.split('\n').filter((l) => l.trim()).length;
}

const between = (rows: RtpRow[], a: string, b: string) => rows.filter((r) => r.src === a && r.dst === b);

describeWithPeers(['tshark'], 'case pcap: our own RTP beside SIP', () => {
  let sbcLab: Lab;
  beforeAll(async () => {
    // The SBC alone, on fixed ports, as `sbc-harness sbc` starts it: external to the run.
    sbcLab = await Lab.start({ profile: profileOn('embedded'), only: ['sbc'], register: false });
  });
  afterAll(async () => {
    await sbcLab?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('external SBC: RTP on both legs, both ways, dissected by tshark', { timeout: 120_000 }, async () => {
    const out = tmp();
    const r = await runPlan({
      cases: PLAN,
      profile: profileOn('external'),
      profileFile: 'external.yaml',
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      only: '8-3-2',
    });
    const cell = r.results.cells[0]!;
    expect(cell.evidence?.pcap).toBe('cases/8-3-2.pcap');
    const pcap = join(out, cell.evidence!.pcap!);
    const rows = rtpRows(pcap);
    // Provider leg: the PSTN phone and the SBC's WAN side; OXO leg: the deskphone and the SBC's LAN side.
    for (const [a, b] of [
      [PROVIDER, WAN_SBC],
      [WAN_SBC, PROVIDER],
      [OXO, LAN_SBC],
      [LAN_SBC, OXO],
    ] as const)
      expect(between(rows, a, b).length, `${a} → ${b}`).toBeGreaterThan(20);
    expect(sipCount(pcap)).toBeGreaterThan(0);
    // Our legs logged what they sent and what they received: nothing else sends on these
    // addresses, so each datagram is there once per end that is ours (the SBC is not ours).
    const keys = rows.map((x) => `${x.src}:${x.srcPort}>${x.dst}/${x.ssrc}/${x.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('embedded SBC: each datagram once although both ends logged it', { timeout: 120_000 }, async () => {
    await sbcLab.stop();
    const out = tmp();
    const r = await runPlan({
      cases: PLAN,
      profile: profileOn('embedded'),
      profileFile: 'embedded.yaml',
      outDir: out,
      harnessVersion: 'test',
      quick: true,
      only: '8-3-2',
    });
    const pcap = join(out, r.results.cells[0]!.evidence!.pcap!);
    const rows = rtpRows(pcap);
    const keys = rows.map((x) => `${x.src}:${x.srcPort}>${x.dst}/${x.ssrc}/${x.seq}`);
    expect(keys.length).toBeGreaterThan(80);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
