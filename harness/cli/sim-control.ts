/**
 * `sbc-harness sim oxo|provider --manual`: the simulator as a stand-in for real equipment, with
 * a person (or a test playing one) at its sets. Incoming calls ring until told to answer; each
 * line of standard input is a command; what happens on the sets is printed, one line each:
 *
 *   answer WHO              answer the ringing call (WHO: an extension id such as deskphone1,
 *                           or a phone id such as pstn1)
 *   call WHO NUMBER         dial NUMBER from WHO (an extension dials the outside-line prefix)
 *   dtmf WHO DIGITS [MODE]  press DIGITS on WHO's call (MODE rfc2833 | inband | info; default rfc2833)
 *   tone WHO on [HZ] | off  play a steady tone into WHO's call (speaking into the handset), or stop
 *   hold WHO | resume WHO   hold (with the PBX's music on hold) or resume WHO's call
 *   hangup WHO              hang up WHO's call (or reject it while it rings)
 *   prefer WHO CODECS       WHO's codec order, as the PBX configuration sets it (PCMA,PCMU,G722,G729,G723)
 *   level WHO               the level WHO's handset heard over the last second ("level WHO -13.0 dBFS";
 *                           over G.723.1, which is not decoded here: "level WHO G723 packets N")
 *   status                  one line per set with a call
 *
 * Events: "ringing WHO from NUMBER display "NUMBER"", "call ivr from NUMBER" (the IVR answers by
 * itself), "established WHO", "ended WHO",
 * "dtmf WHO DIGIT MODE", "error …" for a command that could not be carried out.
 */
import { createInterface } from 'node:readline';
import {
  type Call,
  type Extension,
  type Lab,
  MediaLeg,
  type PstnPhone,
  toneSource,
} from '../actors/index.ts';
import { levelDbfs } from '../media/analysis/index.ts';

type Set_ = { kind: 'ext'; ext: Extension } | { kind: 'phone'; phone: PstnPhone };

/** Starts reading commands from `input`; returns a function that stops it. */
export function startSimControl(
  lab: Lab,
  input: NodeJS.ReadableStream,
  out: (s: string) => void,
): () => void {
  const sets = new Map<string, Set_>();
  for (const e of lab.oxo?.allExtensions() ?? []) {
    e.answerMode = 'manual';
    sets.set(e.id, { kind: 'ext', ext: e });
  }
  const machines: PstnPhone[] = [];
  for (const ph of lab.provider?.allPhones() ?? []) {
    // The IVR stays automatic (a machine on the real network too); what it hears is printed.
    if (ph.id === 'ivr') machines.push(ph);
    else {
      ph.behaviour = { kind: 'ring' };
      sets.set(ph.id, { kind: 'phone', phone: ph });
    }
  }
  const watched = new WeakSet<Call>();
  const watch = (who: string, call: Call) => {
    if (watched.has(call)) return;
    watched.add(call);
    call.on('established', () => out(`established ${who}\n`));
    call.on('ended', () => out(`ended ${who}\n`));
    if (call.media instanceof MediaLeg) call.media.onDtmf((d) => out(`dtmf ${who} ${d.digit} ${d.mode}\n`));
  };
  for (const m of machines)
    m.on('call', (call) => {
      watch(m.id, call);
      out(`call ${m.id} from ${call.remoteParty?.user ?? '?'}\n`);
    });
  for (const [who, s] of sets) {
    if (s.kind === 'ext')
      s.ext.on('incoming', (call, display) => {
        watch(who, call);
        out(
          `ringing ${who} from ${call.remoteParty?.user ?? '?'} display ${JSON.stringify(display.number)}\n`,
        );
      });
    else
      s.phone.on('call', (call) => {
        watch(who, call);
        out(`ringing ${who} from ${call.remoteParty?.user ?? '?'}\n`);
      });
  }
  const current = (s: Set_): Call | undefined => {
    const calls = s.kind === 'ext' ? s.ext.calls : s.phone.calls;
    return [...calls]
      .reverse()
      .find((c) => c.state === 'established' || c.state === 'ringing' || c.state === 'calling');
  };
  const run = async (line: string): Promise<void> => {
    const [cmd, who = '', ...args] = line.trim().split(/\s+/);
    if (!cmd) return;
    if (cmd === 'status') {
      for (const [id, s] of sets) {
        const c = current(s);
        if (c) out(`status ${id} ${c.state}\n`);
      }
      out('status end\n');
      return;
    }
    const s = sets.get(who);
    if (!s) throw new Error(`unknown set "${who}"; known: ${[...sets.keys()].join(', ')}`);
    const call = current(s);
    switch (cmd) {
      case 'answer':
        if (call?.state !== 'ringing') throw new Error(`${who} has no ringing call`);
        if (!(await call.answer())) throw new Error(`${who} could not answer`);
        return;
      case 'call': {
        const number = args[0];
        if (!number) throw new Error('call needs a number');
        const c = s.kind === 'ext' ? await s.ext.call(number) : await s.phone.call(number);
        if (!('media' in c)) throw new Error(`${who} dialled an internal number`);
        watch(who, c);
        out(`calling ${who} ${number}\n`);
        return;
      }
      case 'dtmf': {
        if (call?.state !== 'established') throw new Error(`${who} has no call up`);
        const mode = (args[1] ?? 'rfc2833') as 'rfc2833' | 'inband' | 'info';
        if (!['rfc2833', 'inband', 'info'].includes(mode)) throw new Error(`unknown DTMF mode "${mode}"`);
        for (const digit of args[0] ?? '') {
          if (!/^[0-9*#A-D]$/.test(digit)) throw new Error(`"${digit}" is not a DTMF digit`);
          await call.sendDtmf(digit, mode, 120);
        }
        out(`sent ${who} ${args[0]}\n`);
        return;
      }
      case 'tone':
        if (call?.state !== 'established') throw new Error(`${who} has no call up`);
        if (args[0] === 'off') call.media.stopPlaying();
        else call.media.play(toneSource(Number(args[1] ?? 425) || 425, 16000));
        return;
      case 'hold':
        if (call?.state !== 'established') throw new Error(`${who} has no call up`);
        await (s.kind === 'ext' ? s.ext.hold(call) : call.hold());
        return;
      case 'resume':
        if (call?.state !== 'established') throw new Error(`${who} has no call up`);
        await call.resume();
        return;
      case 'prefer': {
        // The set's codec order, as the PBX's configuration would set it (comma-separated ids).
        const codecs = (args[0] ?? '').split(',').filter(Boolean);
        const known = ['PCMA', 'PCMU', 'G722', 'G729', 'G723'];
        const bad = codecs.find((c) => !known.includes(c));
        if (codecs.length === 0 || bad) throw new Error(`prefer takes codec ids from ${known.join(', ')}`);
        if (s.kind === 'ext') s.ext.prefer(codecs as never);
        else s.phone.prefs = { ...s.phone.prefs, codecs: codecs as never };
        out(`prefer ${who} ${codecs.join(',')}\n`);
        return;
      }
      case 'level': {
        // What the set's handset hears: the level of the last second received.
        if (call?.state !== 'established') throw new Error(`${who} has no call up`);
        if (call.media.negotiated?.codec === 'G723') {
          // G.723.1 is not decoded here: say what arrives instead of how loud it is.
          out(`level ${who} G723 packets ${call.media.stats().received}\n`);
          return;
        }
        const rec = call.media.receivedAudio();
        const last = rec.samples.subarray(Math.max(0, rec.samples.length - rec.sampleRate));
        out(`level ${who} ${last.length > 0 ? levelDbfs(last).toFixed(1) : '-inf'} dBFS\n`);
        return;
      }
      case 'hangup':
        if (!call) throw new Error(`${who} has no call`);
        if (call.state === 'ringing') call.reject(486);
        else await call.hangup();
        return;
      default:
        throw new Error(
          `unknown command "${cmd}" (answer, call, dtmf, tone, hold, resume, prefer, level, hangup, status)`,
        );
    }
  };
  const rl = createInterface({ input, terminal: false });
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    queue = queue.then(() => run(line).catch((e: Error) => out(`error ${e.message}\n`)));
  });
  return () => rl.close();
}
