/**
 * Every personality of the embedded SBC (a legal behaviour it does not show by default,
 * harness/actors/sbc-personalities.ts) leaves every applicable cell of the whole plan OK: the
 * harness judges the SBC by the RFCs and the plan, not by what our own SBC happens to do
 * (docs/tolerances.md). Each run also proves, from its evidence, that its personalities were
 * really on the wire, so an OK here cannot come from a switch that did nothing.
 *
 * Budget (≤ 6 min on 2 cores): one whole-plan run (--quick, 2 workers, ~45 s on an idle
 * machine) per group, five groups. Personalities are grouped when they change different
 * things, so none can hide or undo another's effect:
 * - signalling: rechallenge-bad-password (REGISTER answers), ruri-did (the Request-URI of the
 *   INVITE toward the OXO), called-00 (the Request-URI and To of the INVITE toward the
 *   provider), caller-in-pai (its From) and update-for-hold (in-dialog hold/resume toward the
 *   provider) touch different SIP messages or headers; early-media (a 183 with SDP and
 *   ringback before the answer) acts only before the answer, where none of them does;
 * - sdp: te-pt-96 (the telephone-event payload type) and ptime-30 (a=ptime) change different
 *   SDP lines, and neither touches the RTP stream's identity; repacketize-60 re-frames the
 *   30 ms packets the peers then send into 60 ms ones (no SDP line, only packet sizes);
 *   hold-local (the OXO's holds answered by the SBC, the provider's leg left as it is) changes
 *   no SDP line of the provider's leg and no packet size, and cannot share a run with
 *   update-for-hold or offerless-reinvite, which relay the same holds; rtp-reorder (one packet
 *   in ten sent after the next) changes only the order of the SBC's packets, and with 60 ms
 *   packets each late one is the longest hole a receiver decoding in arrival order would leave;
 * - rtp-stream: ssrc-change (the SBC's outgoing RTP streams) and rtcp-reports (its RTCP port)
 *   act on different sockets; DTMF type and ptime stay at their defaults, so an SSRC change is
 *   judged on its own. offerless-reinvite (hold and resume relayed without an offer, the answer
 *   in the ACK) changes only in-dialog signalling, and cannot share a run with update-for-hold,
 *   which would carry the same holds as UPDATEs. caller-in-from (no P-Asserted-Identity toward
 *   the OXO) touches one header no other personality of the group does, and cannot share a run
 *   with caller-in-pai, which would leave the OXO no caller at all. no-display-name (the
 *   caller's name left out of the From and P-Asserted-Identity the SBC writes) touches only the
 *   display-names of those headers, which caller-in-from keeps where the others would hide them.
 *   require-100rel (Require: 100rel on the SBC's INVITEs, so the phones' 180s are reliable and
 *   PRACKed) acts on provisional responses only, which none of the others touches.
 * - media-port: port-change, apart from update-for-hold (its re-INVITEs of the SBC's own would
 *   mix with the relayed ones) and from ssrc-change (its new ports start new SSRCs), with
 *   ptime-10, which cannot share a run with ptime-30 (one a=ptime wins) and only changes a=ptime;
 *   options-404 changes only the answer to OPTIONS outside a dialog, which no other does;
 *   answer-in-reliable-183 (the caller's answer in a reliable 183, the 200 without SDP) acts only
 *   at the answer, which none of them touches, and cannot share a run with early-media, whose
 *   183 at the far side's ringing comes first and leaves it nothing to do.
 * - repacketize: repacketize-40, so the peers send their default 20 ms packets and get
 *   the same audio back as 40 ms packets (half as many): no a=ptime of another personality
 *   changes what it re-frames. session-refresh (re-INVITEs of the SBC's own that change nothing)
 *   sits apart from port-change and from the hold personalities, whose re-INVITEs would mix
 *   with its own, except answer-then-relay: its re-INVITEs toward the other leg are the SBC's
 *   own too, but each follows one the SBC received, and the call stays busy until it is
 *   answered, so a refresh never crosses it (and its proof counts the received ones apart).
 *   min-expires (the OXO trunk's REGISTERs below 1800 s answered 423; the group's profile asks
 *   600 s) touches only the LAN
 *   registrar, which none of them does, and sits apart from rechallenge-bad-password, whose
 *   answers to the same REGISTERs would come first.
 * replaces-local is in no group (PROVED_ELSEWHERE below): the plan never exercises it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SBC_PERSONALITIES, type SbcPersonalityName } from '../../harness/actors/index.ts';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import { decodeUdpFrame, readCapture } from '../../harness/media/capture/index.ts';
import { seqDelta } from '../../harness/media/rtp/index.ts';
import { type Cell, runPlan } from '../../harness/runner/index.ts';
import { PLAN } from '../../scenarios/index.ts';

interface Group {
  name: string;
  personalities: SbcPersonalityName[];
  /** The OXO trunk's registration interval for the run, s (the profile's 3600 otherwise). */
  oxoExpires?: number;
}

const GROUPS: Group[] = [
  {
    name: 'signalling',
    personalities: [
      'rechallenge-bad-password',
      'ruri-did',
      'called-00',
      'caller-in-pai',
      'update-for-hold',
      'early-media',
    ],
  },
  { name: 'sdp', personalities: ['te-pt-96', 'ptime-30', 'repacketize-60', 'hold-local', 'rtp-reorder'] },
  {
    name: 'rtp-stream',
    personalities: [
      'ssrc-change',
      'rtcp-reports',
      'offerless-reinvite',
      'caller-in-from',
      'no-display-name',
      'require-100rel',
    ],
  },
  { name: 'media-port', personalities: ['port-change', 'ptime-10', 'options-404', 'answer-in-reliable-183'] },
  {
    name: 'repacketize',
    personalities: ['repacketize-40', 'session-refresh', 'answer-then-relay', 'min-expires'],
    // Below min-expires's 1800 s, which may refuse only an interval under an hour (RFC 3261 §10.3).
    oxoExpires: 600,
  },
];

/**
 * Personalities the plan never exercises, each with the test that proves it on the wire:
 * replaces-local acts only on an attended transfer's REFER with Replaces, which no case of the
 * plan sends (8-5-3 joins inside the OXO; 8-5-4 is unattended, and N/A with the embedded
 * profile's transferMode internal). A whole-plan run could only show that it does nothing.
 */
const PROVED_ELSEWHERE: Partial<Record<SbcPersonalityName, string>> = {
  'replaces-local': 'test/runner/load-consult-transfer.test.ts',
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The SIP text of every case of a run, by case id. */
function sipTexts(outDir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(join(outDir, 'cases')))
    if (f.endsWith('.sip.txt'))
      out.set(f.slice(0, -'.sip.txt'.length), readFileSync(join(outDir, 'cases', f), 'utf8'));
  return out;
}

/**
 * Per case, the RTP SSRCs and RTCP packet types the SBC's addresses sent (from the case pcap),
 * and how many of its G.711 / G.722 packets carried each payload size (160 octets: 20 ms).
 */
function sbcMedia(outDir: string, sbc: string[]): SbcMediaSeen {
  let ssrcsPerPort = 0;
  let rtcp = 0;
  let late = 0;
  const audioSizes = new Map<number, number>();
  for (const f of readdirSync(join(outDir, 'cases'))) {
    if (!f.endsWith('.pcap')) continue;
    const cap = readCapture(new Uint8Array(readFileSync(join(outDir, 'cases', f))));
    const ssrcs = new Map<string, Set<number>>();
    /** Highest sequence number seen per SBC port and SSRC. */
    const highest = new Map<string, number>();
    for (const fr of cap.frames) {
      const u = decodeUdpFrame(fr.linktype, fr.data);
      if (!u || !sbc.includes(u.src.address) || u.payload.length < 12 || u.payload[0]! >> 6 !== 2) continue;
      const pt = u.payload[1]!;
      if (pt >= 200 && pt <= 204) {
        rtcp++;
        continue;
      }
      if ([0, 8, 9].includes(pt & 0x7f)) {
        const len = u.payload.length - 12 - 4 * (u.payload[0]! & 0x0f);
        audioSizes.set(len, (audioSizes.get(len) ?? 0) + 1);
      }
      const key = `${u.src.address}:${u.src.port}`;
      const view = new DataView(u.payload.buffer, u.payload.byteOffset, u.payload.length);
      const ssrc = view.getUint32(8);
      const seq = view.getUint16(2);
      const stream = `${key}/${ssrc}`;
      const top = highest.get(stream);
      if (top !== undefined && seqDelta(seq, top) < 0) late++;
      else highest.set(stream, seq);
      const set = ssrcs.get(key) ?? new Set<number>();
      set.add(ssrc);
      ssrcs.set(key, set);
    }
    for (const s of ssrcs.values()) ssrcsPerPort = Math.max(ssrcsPerPort, s.size);
  }
  return { ssrcsPerPort, rtcp, audioSizes, late };
}

interface SbcMediaSeen {
  ssrcsPerPort: number;
  rtcp: number;
  /** RTP packets from the SBC that came after a later one of their stream. */
  late: number;
  audioSizes: Map<number, number>;
}

/** The most distinct m=audio ports the SBC announced within one dialog (Call-ID), over the run. */
function sbcPortsPerDialog(sip: Map<string, string>, sbc: string[]): number {
  let most = 0;
  for (const text of sip.values()) {
    const ports = new Map<string, Set<string>>();
    for (const block of text.split(/^--- /m)) {
      const from = /^\S+ \S+ (\S+):\d+ →/.exec(block)?.[1];
      if (!from || !sbc.includes(from)) continue;
      const callId = /^Call-ID: *(\S+)/im.exec(block)?.[1];
      const port = /^m=audio (\d+)/m.exec(block)?.[1];
      if (!callId || !port) continue;
      const set = ports.get(callId) ?? new Set<string>();
      set.add(port);
      ports.set(callId, set);
    }
    for (const set of ports.values()) most = Math.max(most, set.size);
  }
  return most;
}

/** Whether the run's evidence shows the personality on the wire, and what was looked for. */
function seen(
  name: SbcPersonalityName,
  cells: Cell[],
  sip: Map<string, string>,
  media: SbcMediaSeen,
  profile: Profile,
): { ok: boolean; what: string } {
  const any = (re: RegExp) => [...sip.values()].some((t) => re.test(t));
  const oxo = profile.oxo.address.replace(/\./g, '\\.');
  switch (name) {
    case 'rechallenge-bad-password':
      return {
        ok: (cells.find((c) => c.id === 'T-4')?.comment ?? '').includes('new 401 challenge'),
        what: 'T-4 says the wrong password got a new 401 challenge',
      };
    case 'ruri-did':
      return {
        ok: any(new RegExp(`^INVITE sip:\\+?[0-9]+@${oxo}:`, 'm')),
        what: 'an INVITE toward the OXO with a number as Request-URI user',
      };
    case 'called-00': {
      const wan = profile.sbc.wan.address.replace(/\./g, '\\.');
      // Each message of a case's SIP text starts with "--- <time> UDP <src> → <dst>".
      return {
        ok: [...sip.values()]
          .flatMap((t) => t.split(/^--- /m))
          .some((m) => new RegExp(`^\\S+ \\S+ ${wan}:\\d+ →[^\\n]*\\nINVITE sip:00\\d+@`).test(m)),
        what: 'an INVITE from the SBC’s WAN address with a called number written 00…',
      };
    }
    case 'caller-in-pai':
      return {
        ok: any(
          new RegExp(
            `^INVITE sip:[^\\n]*@${oxo}:[^\\n]*\\n(?:[^\\n]+\\n)*?From: *<sip:anonymous@anonymous\\.invalid>`,
            'm',
          ),
        ),
        what: 'an INVITE toward the OXO with From: <sip:anonymous@anonymous.invalid>',
      };
    case 'caller-in-from': {
      // Each message of a case's SIP text starts with "--- <time> UDP <src> → <dst>".
      const initial = [...sip.values()]
        .flatMap((t) => t.split(/^--- /m))
        .filter(
          (m) => new RegExp(`^INVITE sip:[^\\n]*@${oxo}:`, 'm').test(m) && !/^To:[^\n]*;tag=/im.test(m),
        );
      return {
        ok:
          initial.length > 0 &&
          initial.every((m) => !/^P-Asserted-Identity:/im.test(m)) &&
          initial.some((m) => /^From:[^\n]*<sip:\+?\d{4,}@/im.test(m)),
        what: 'INVITEs toward the OXO without P-Asserted-Identity, the caller number in From',
      };
    }
    case 'no-display-name': {
      // Initial INVITEs (no To tag) the SBC sent, and those the phones sent it with a name.
      const sbc = [profile.sbc.lan.address, profile.sbc.wan.address];
      const initial = [...sip.values()]
        .flatMap((t) => t.split(/^--- /m))
        .filter((m) => /^INVITE sip:/m.test(m) && !/^To:[^\n]*;tag=/im.test(m));
      const hop = (m: string) => /^\S+ \S+ (\S+):\d+ → (\S+):\d+/.exec(m);
      const named = (m: string) => /^(?:From|P-Asserted-Identity): *"/im.test(m);
      const sent = initial.filter((m) => sbc.includes(hop(m)?.[1] ?? ''));
      const received = initial.filter((m) => sbc.includes(hop(m)?.[2] ?? ''));
      return {
        ok: sent.length > 0 && received.some(named) && !sent.some(named),
        what: 'INVITEs to the SBC with a display-name in From, none in the From or P-Asserted-Identity of the INVITEs it sent',
      };
    }
    case 'session-refresh': {
      // Re-INVITEs (INVITE with a To tag; retransmissions once, by Call-ID and CSeq) the SBC
      // sent, against those it received: a relayed re-INVITE is one of each, a refresh of its
      // own is sent only.
      const sent = new Set<string>();
      const received = new Set<string>();
      const sbc = [profile.sbc.lan.address, profile.sbc.wan.address];
      for (const m of [...sip.values()].flatMap((t) => t.split(/^--- /m))) {
        if (!/^INVITE sip:/m.test(m) || !/^To:[^\n]*;tag=/im.test(m)) continue;
        const hop = /^\S+ \S+ (\S+):\d+ → (\S+):\d+/.exec(m);
        const id = `${/^Call-ID: *(\S+)/im.exec(m)?.[1]} ${/^CSeq: *(\d+)/im.exec(m)?.[1]}`;
        if (!hop) continue;
        if (sbc.includes(hop[1]!)) sent.add(id);
        else if (sbc.includes(hop[2]!)) received.add(id);
      }
      return {
        ok: sent.size > received.size,
        what: `more re-INVITEs from the SBC (${sent.size}) than to it (${received.size})`,
      };
    }
    case 'answer-then-relay': {
      // For a hold re-INVITE from the OXO (a=sendonly), the SBC's 200 to it (same Call-ID and
      // CSeq) comes before the SBC's re-INVITE with a=sendonly toward the provider that follows
      // it (by the order of the case's SIP text, which is by time). The default relays first.
      const lan = profile.sbc.lan.address;
      const wan = profile.sbc.wan.address;
      const id = (m: string) =>
        `${/^Call-ID: *(\S+)/im.exec(m)?.[1]} ${/^CSeq: *(\d+) INVITE/im.exec(m)?.[1]}`;
      let ok = false;
      for (const text of sip.values()) {
        let hold: { id: string; answered: boolean } | undefined;
        for (const m of text.split(/^--- /m)) {
          const hop = /^\S+ \S+ (\S+):\d+ → (\S+):\d+/.exec(m);
          if (!hop) continue;
          const reinvite = /^INVITE sip:/m.test(m) && /^To:[^\n]*;tag=/im.test(m) && /^a=sendonly/m.test(m);
          if (reinvite && hop[2] === lan) hold = { id: id(m), answered: false };
          else if (hold && hop[1] === lan && /^SIP\/2\.0 200 /m.test(m) && id(m) === hold.id)
            hold.answered = true;
          else if (hold && reinvite && hop[1] === wan) {
            if (hold.answered) ok = true;
            hold = undefined;
          }
        }
      }
      return {
        ok,
        what: 'the SBC’s 200 to the OXO’s hold re-INVITE before its own hold re-INVITE toward the provider',
      };
    }
    case 'options-404':
      return {
        ok: [...sip.values()]
          .flatMap((t) => t.split(/^--- /m))
          .some((m) => /^SIP\/2\.0 404 /m.test(m) && /^CSeq: *\d+ OPTIONS/im.test(m)),
        what: 'an OPTIONS answered 404 Not Found',
      };
    case 'early-media':
      // Neither the provider's phones nor the OXO's extensions send 183: any 183 with SDP is the
      // SBC's. Each message of a case's SIP text starts with "--- <time> UDP <src> → <dst>".
      return {
        ok: [...sip.values()]
          .flatMap((t) => t.split(/^--- /m))
          .some((m) => /^SIP\/2\.0 183 /m.test(m) && /^Content-Type: *application\/sdp/im.test(m)),
        what: 'a 183 Session Progress with an SDP body',
      };
    case 'require-100rel': {
      // An INVITE from the SBC's addresses with Require: 100rel, and a reliable 180 toward it.
      const sbc = [profile.sbc.lan.address, profile.sbc.wan.address].map((a) => a.replace(/\./g, '\\.'));
      const from = new RegExp(`^\\S+ \\S+ (?:${sbc.join('|')}):\\d+ →[^\\n]*\\nINVITE `);
      const msgs = [...sip.values()].flatMap((t) => t.split(/^--- /m));
      return {
        ok:
          msgs.some((m) => from.test(m) && /^Require: *100rel/im.test(m)) &&
          msgs.some(
            (m) => /^SIP\/2\.0 180 /m.test(m) && /^Require: *100rel/im.test(m) && /^RSeq: *\d+/im.test(m),
          ),
        what: 'an INVITE from the SBC with Require: 100rel, and a 180 with Require: 100rel and an RSeq',
      };
    }
    case 'min-expires':
      // A 423 with Min-Expires to the OXO trunk, and a REGISTER asking that much afterwards.
      return {
        ok:
          any(/^SIP\/2\.0 423 [^\n]*\n(?:[^\n]+\n)*?Min-Expires: *1800/m) &&
          any(/^REGISTER sip:[^\n]*\n(?:[^\n]+\n)*?Expires: *1800/m),
        what: 'a 423 Interval Too Brief with Min-Expires: 1800, then a REGISTER with Expires: 1800',
      };
    case 'answer-in-reliable-183': {
      // A 183 with Require: 100rel and SDP (only the SBC sends 183), a PRACK for it, and a 200 to
      // an INVITE without a body.
      const msgs = [...sip.values()].flatMap((t) => t.split(/^--- /m));
      return {
        ok:
          msgs.some(
            (m) =>
              /^SIP\/2\.0 183 /m.test(m) &&
              /^Require: *100rel/im.test(m) &&
              /^Content-Type: *application\/sdp/im.test(m),
          ) &&
          msgs.some((m) => /^PRACK sip:/m.test(m)) &&
          msgs.some(
            (m) =>
              /^SIP\/2\.0 200 /m.test(m) &&
              /^CSeq: *\d+ INVITE/im.test(m) &&
              /^Content-Length: *0\s*$/im.test(m),
          ),
        what: 'a reliable 183 with SDP, its PRACK, and a 200 to an INVITE with no body',
      };
    }
    case 'update-for-hold':
      return {
        ok: any(/^UPDATE sip:[^\n]*\n(?:[^\n]*\n)*?a=sendonly/m),
        what: 'an UPDATE carrying a=sendonly',
      };
    case 'hold-local': {
      // Each message of a case's SIP text starts with "--- <time> UDP <src> → <dst>".
      const holds = [...sip.values()]
        .flatMap((t) => t.split(/^--- /m))
        .filter((m) => /^(?:INVITE|UPDATE) sip:/m.test(m) && /^a=sendonly/m.test(m))
        .map((m) => /^\S+ \S+ (\S+) → (\S+)/.exec(m) ?? ['', '', '']);
      const host = (a: string | undefined) => (a ?? '').replace(/:\d+$/, '');
      const fromOxo = holds.some((h) => host(h[2]) === profile.sbc.lan.address);
      const towardProvider = holds.some((h) => host(h[1]) === profile.sbc.wan.address);
      return {
        ok: fromOxo && !towardProvider,
        what: 'hold offers (a=sendonly) from the OXO to the SBC, none from the SBC toward the provider',
      };
    }
    case 'offerless-reinvite':
      return {
        ok: any(/^ACK sip:[^\n]*\n(?:[^\n]*\n)*?a=sendonly/m),
        what: 'an ACK carrying the answer a=sendonly',
      };
    case 'te-pt-96':
      return { ok: any(/^a=rtpmap:96 telephone-event\/8000/m), what: 'a=rtpmap:96 telephone-event/8000' };
    case 'ptime-30':
      return { ok: any(/^a=ptime:30/m), what: 'a=ptime:30' };
    case 'ptime-10':
      return { ok: any(/^a=ptime:10/m), what: 'a=ptime:10' };
    case 'ssrc-change':
      return { ok: media.ssrcsPerPort >= 2, what: 'two SSRCs from one SBC media port' };
    case 'rtcp-reports':
      return { ok: media.rtcp > 0, what: 'RTCP packets from an SBC address' };
    case 'rtp-reorder':
      return { ok: media.late > 0, what: 'RTP packets from the SBC sent after a later one of their stream' };
    case 'repacketize-40':
      return {
        ok: (media.audioSizes.get(320) ?? 0) > 0,
        what: '320-octet (40 ms) G.711 or G.722 payloads from an SBC address',
      };
    case 'repacketize-60':
      return {
        ok: (media.audioSizes.get(480) ?? 0) > 0,
        what: '480-octet (60 ms) G.711 or G.722 payloads from an SBC address',
      };
    case 'replaces-local':
      // In no group (PROVED_ELSEWHERE): a plan run cannot show it.
      return { ok: false, what: `not exercised by the plan: see ${PROVED_ELSEWHERE[name]}` };
    case 'port-change': {
      const sbc = [profile.sbc.lan.address, profile.sbc.wan.address];
      return { ok: sbcPortsPerDialog(sip, sbc) >= 2, what: 'two m=audio ports from the SBC in one dialog' };
    }
  }
}

describe('personalities of the embedded SBC: every applicable cell stays OK', () => {
  it('every personality is in exactly one group, or proved by a test of its own that names it', () => {
    const grouped = GROUPS.flatMap((g) => g.personalities);
    const elsewhere = Object.keys(PROVED_ELSEWHERE) as SbcPersonalityName[];
    expect([...grouped, ...elsewhere].sort()).toEqual(SBC_PERSONALITIES.map((p) => p.name).sort());
    expect(new Set([...grouped, ...elsewhere]).size).toBe(grouped.length + elsewhere.length);
    for (const [name, file] of Object.entries(PROVED_ELSEWHERE))
      expect(readFileSync(file as string, 'utf8'), `${file} runs ${name}`).toContain(`'${name}'`);
  });

  for (const g of GROUPS) {
    it(`${g.name}: ${g.personalities.join(', ')}: the whole plan, --quick`, {
      timeout: 300_000,
    }, async () => {
      const profile = loadProfile();
      if (g.oxoExpires !== undefined) profile.oxo.trunk.expires = g.oxoExpires;
      const outDir = mkdtempSync(join(tmpdir(), `personality-${g.name}-`));
      dirs.push(outDir);
      const r = await runPlan({
        cases: PLAN,
        profile,
        profileFile: 'profiles/embedded.yaml',
        outDir,
        harnessVersion: 'test',
        quick: true,
        workers: 2,
        personalities: g.personalities,
      });
      const cells = r.results.cells;
      expect(cells.length, 'one cell per case of the plan').toBe(PLAN.length);
      // N/A comes from the profile and a host or harness limitation (INCOMPLETE "Not run here: …", e.g. no
      // libbcg729) from the machine: neither depends on the SBC, so neither is a difference.
      const hostLimited = (c: Cell) => c.verdict === 'INCOMPLETE' && /^Not run here: /.test(c.comment ?? '');
      const differing = cells
        .filter((c) => c.verdict !== 'OK' && c.verdict !== 'N/A' && !hostLimited(c))
        .map((c) => `${c.id} ${c.verdict}: ${c.comment ?? ''}`);
      expect(differing, `cells that are not OK under ${g.personalities.join(', ')}`).toEqual([]);
      const sip = sipTexts(outDir);
      const media = sbcMedia(outDir, [profile.sbc.lan.address, profile.sbc.wan.address]);
      for (const name of g.personalities) {
        const s = seen(name, cells, sip, media, profile);
        expect(s.ok, `${name} on the wire: ${s.what}`).toBe(true);
      }
    });
  }
});
