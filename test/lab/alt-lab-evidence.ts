/**
 * Reads a run's SIP evidence (cases/<id>.sip.json) for the behaviours that the second Kamailio
 * configuration (lab/kamailio/sbc-alt.cfg) must really show, so its test fails when the
 * configuration quietly stops playing them (topos, for one, forwards messages unchanged when
 * it cannot store its records): no Record-Route and a single Via in what it sends to either
 * side, the OXO's contact as the Request-URI of a call to a DID with the DID kept in To, and
 * its line registered with a 600 s interval, accepted at most once during the run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WireMessage {
  src: { address: string; port: number };
  dst: { address: string; port: number };
  summary: string;
  text: string;
}

export interface AltAddresses {
  /** SBC LAN and WAN addresses, OXO and provider addresses. */
  lan: string;
  wan: string;
  oxo: string;
  provider: string;
  trunkUser: string;
}

export interface AltFindings {
  problems: string[];
  /** Initial INVITEs the SBC sent to the OXO / to the provider. */
  toOxo: number;
  toProvider: number;
  /** REGISTERs of the line the SBC sent, and 200 OKs it got for them. */
  lineRegisters: number;
  lineAccepted: number;
}

const COMPACT: Record<string, string> = { v: 'via', t: 'to', m: 'contact', i: 'call-id', f: 'from' };

/** Values of a header in a message's text (compact forms too; one value per header line). */
export function headerValues(text: string, name: string): string[] {
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const line of head.split(/\r?\n/).slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const raw = line.slice(0, i).trim().toLowerCase();
    if ((COMPACT[raw] ?? raw) === want) out.push(line.slice(i + 1).trim());
  }
  return out;
}

/** The user part of the first sip: URI in a header value or Request-URI. */
export function uriUser(value: string): string {
  return /sips?:([^@;>]+)@/.exec(value)?.[1] ?? '';
}

/** How many Via entries (comma-separated values count one each). */
function viaCount(text: string): number {
  return headerValues(text, 'via').reduce((n, v) => n + v.split(',').length, 0);
}

/** Reads every cases/*.sip.json of a run's output folder. */
export function readRunSip(outDir: string): Map<string, WireMessage[]> {
  const dir = join(outDir, 'cases');
  const out = new Map<string, WireMessage[]>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.sip.json'))) {
    try {
      out.set(f.replace(/\.sip\.json$/, ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as WireMessage[]);
    } catch {
      out.set(f, []);
    }
  }
  return out;
}

/** Checks the alt configuration's behaviours in the messages of every case. */
export function altFindings(byCase: Map<string, WireMessage[]>, a: AltAddresses): AltFindings {
  const f: AltFindings = { problems: [], toOxo: 0, toProvider: 0, lineRegisters: 0, lineAccepted: 0 };
  // the same REGISTER transaction may appear in several cases' evidence: count each once
  const accepted = new Set<string>();
  for (const [id, messages] of byCase) {
    const lineCseqs = new Set<string>();
    for (const m of messages) {
      const startLine = m.text.split(/\r?\n/, 1)[0] ?? '';
      const initialInvite =
        startLine.startsWith('INVITE ') && !/;\s*tag=/i.test(headerValues(m.text, 'to')[0] ?? '');
      const fromSbc = (m.src.address === a.lan && m.dst.address === a.oxo) || m.src.address === a.wan;
      if (initialInvite && fromSbc) {
        const side = m.src.address === a.lan ? 'OXO' : 'provider';
        if (side === 'OXO') f.toOxo++;
        else f.toProvider++;
        if (headerValues(m.text, 'record-route').length > 0)
          f.problems.push(`${id}: the INVITE to the ${side} carries Record-Route (topology not hidden)`);
        if (viaCount(m.text) !== 1)
          f.problems.push(`${id}: the INVITE to the ${side} carries ${viaCount(m.text)} Via entries, not 1`);
        const contact = headerValues(m.text, 'contact')[0] ?? '';
        if (!contact.includes(`@${side === 'OXO' ? a.lan : a.wan}`))
          f.problems.push(
            `${id}: the INVITE to the ${side} has Contact ${contact}, not the SBC's own address`,
          );
        if (side === 'OXO') {
          const ruser = uriUser(startLine);
          const toUser = uriUser(headerValues(m.text, 'to')[0] ?? '');
          if (ruser !== a.trunkUser)
            f.problems.push(`${id}: Request-URI ${startLine} is not the trunk's registered contact`);
          if (!toUser || toUser === a.trunkUser)
            f.problems.push(`${id}: the To header of the INVITE to the OXO lost the DID (${toUser})`);
        }
      }
      if (startLine.startsWith('REGISTER ') && m.src.address === a.wan && m.dst.address === a.provider) {
        f.lineRegisters++;
        const expires = headerValues(m.text, 'expires')[0];
        if (expires !== '600') f.problems.push(`${id}: the line's REGISTER asks Expires ${expires}, not 600`);
        lineCseqs.add(`${headerValues(m.text, 'call-id')[0]} ${headerValues(m.text, 'cseq')[0]}`);
      }
    }
    for (const m of messages) {
      if (!m.text.startsWith('SIP/2.0 200') || m.dst.address !== a.wan) continue;
      const key = `${headerValues(m.text, 'call-id')[0]} ${headerValues(m.text, 'cseq')[0]}`;
      if (lineCseqs.has(key)) accepted.add(key);
    }
  }
  f.lineAccepted = accepted.size;
  return f;
}
