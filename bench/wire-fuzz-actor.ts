/**
 * One simulator of the over-the-wire fuzz (bench/wire-fuzz.ts) in its own process, so that its
 * RSS and open fds are its own:
 *
 *   node bin/run-ts.js bench/wire-fuzz-actor.ts provider|oxo PROFILE.yaml
 *
 * It starts the actor as `sbc-harness sim provider|oxo` does (the same Lab, the same logger on
 * stderr), and takes commands from the bench over the Node IPC channel, because the normal call
 * before and after the fuzz needs a phone that dials and an extension that reports what it heard:
 *   provider: {cmd:'waitLine'}  the SBC's line registered here (at most 30 s)
 *             {cmd:'call', did, toneHz, expectHz, holdMs}  pstn1 calls the DID, plays a tone,
 *             measures the far end's tone, hangs up; answers with what it saw
 *   oxo:      {cmd:'register'}  registers the trunk at the SBC (at most 40 s)
 *             {cmd:'calls', since}  the incoming calls of the extensions from index `since` on,
 *             each with what it heard of `expectHz` (measured when the call ended)
 * The extensions answer on their own (the simulator's default) and play a tone once answered.
 * SIGTERM stops the actor and the process.
 */
import { readFileSync } from 'node:fs';
import { toneSource } from '../harness/actors/audio-sources.ts';
import type { Call } from '../harness/actors/call.ts';
import { Lab } from '../harness/actors/lab.ts';
import { loadProfile } from '../harness/config/profile.ts';
import { goertzelAmplitude } from '../harness/media/analysis/index.ts';
import { createLogger } from '../harness/support/log.ts';

const actor = process.argv[2];
const profileFile = process.argv[3];
if ((actor !== 'provider' && actor !== 'oxo') || !profileFile || !process.send) {
  console.error('usage (as a child with an IPC channel): wire-fuzz-actor.ts provider|oxo PROFILE.yaml');
  process.exit(2);
}

/** The OXO's extensions play this tone once answered; the provider's phone plays its own. */
export const OXO_TONE_HZ = 600;

export interface HeardCall {
  established: boolean;
  status: number | undefined;
  /** RTP packets received. */
  received: number;
  /** Amplitude of the expected tone in the last second heard, and at an unrelated frequency. */
  level: number;
  floor: number;
}

export interface OxoCallRecord extends HeardCall {
  extension: string;
  from: string;
  ended: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function heard(call: Call, hz: number): HeardCall {
  const { sampleRate, samples } = call.media.receivedAudio();
  const start = Math.max(0, samples.length - sampleRate);
  return {
    established: call.state === 'established' || call.state === 'ended',
    status: call.status,
    received: call.media.stats().received,
    level: goertzelAmplitude(samples, sampleRate, hz, start),
    floor: goertzelAmplitude(samples, sampleRate, hz * 1.37 + 55, start),
  };
}

/** Resident memory by kind of mapping, MB: `brk` (glibc's main heap), `anon` (other anonymous), `file`. */
function residentByKind(): Record<string, number> {
  const out: Record<string, number> = { brk: 0, anon: 0, file: 0 };
  let kind = 'anon';
  try {
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
      const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
      if (m) {
        const name = m[1] ?? '';
        kind = name === '[heap]' ? 'brk' : name.startsWith('/') ? 'file' : 'anon';
      } else if (line.startsWith('Rss:')) out[kind] = (out[kind] ?? 0) + Number(line.split(/\s+/)[1]) / 1000;
    }
  } catch {
    return {};
  }
  for (const k of Object.keys(out)) out[k] = Math.round((out[k] ?? 0) * 10) / 10;
  return out;
}

function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => fallback)]);
}

const profile = loadProfile(profileFile);
const lab = await Lab.start({ profile, only: [actor], register: false, logger: createLogger() });
const oxoCalls: OxoCallRecord[] = [];

/**
 * A call the fuzz leaves ringing (an INVITE whose sender went away) ends after this long with
 * 480, instead of the simulators' default of 3 minutes (call-history.ts): within the bench's
 * settle time, so that what is measured after the fuzz is what stays for good.
 */
const RING_TIMEOUT_MS = 30_000;
for (const ph of lab.provider?.allPhones() ?? []) ph.ringTimeoutMs = RING_TIMEOUT_MS;
for (const ext of lab.oxo?.allExtensions() ?? []) ext.ringTimeoutMs = RING_TIMEOUT_MS;
// What `sbc-harness sim` keeps (lab-commands.ts).
lab.keepStandalone();
let expectAtOxo = 1000;

if (lab.oxo) {
  for (const ext of lab.oxo.allExtensions()) {
    ext.on('incoming', (call) => {
      const rec: OxoCallRecord = {
        extension: ext.id,
        from: call.remoteParty?.uri ?? '',
        established: false,
        status: undefined,
        received: 0,
        level: 0,
        floor: 0,
        ended: false,
      };
      oxoCalls.push(rec);
      // Bounded: at most 1000 records are kept (a fuzz can make the extensions ring often).
      if (oxoCalls.length > 1000) oxoCalls.shift();
      void call.established().then((ok) => {
        if (ok) call.media.play(toneSource(OXO_TONE_HZ, 16_000));
      });
      void call.ended().then(() => {
        Object.assign(rec, heard(call, expectAtOxo), { ended: true });
      });
    });
  }
}

async function handle(msg: Record<string, unknown>): Promise<unknown> {
  switch (msg.cmd) {
    case 'waitLine': {
      if (!lab.provider) return { ok: false, reason: 'not the provider' };
      const b = await within(
        lab.provider.waitRegistered(profile.provider.line.user).then(() => true),
        30_000,
        false,
      );
      return { ok: b };
    }
    case 'register': {
      if (!lab.oxo) return { ok: false, reason: 'not the OXO' };
      const status = await within(
        lab.oxo.register().catch(() => 0),
        40_000,
        0,
      );
      return { ok: status >= 200 && status < 300, status };
    }
    case 'calls': {
      const since = Number(msg.since ?? 0);
      return { ok: true, total: oxoCalls.length, calls: oxoCalls.slice(since) };
    }
    case 'call': {
      if (!lab.provider) return { ok: false, reason: 'not the provider' };
      expectAtOxo = Number(msg.toneHz);
      const phone = lab.provider.phone('pstn1');
      let call: Call;
      try {
        call = await phone.call(String(msg.did));
      } catch (e) {
        return { ok: false, reason: (e as Error).message };
      }
      const up = await within(call.established(), 20_000, false);
      if (!up) {
        if (call.state === 'calling' || call.state === 'ringing') call.cancel();
        await within(call.ended(), 5000, undefined);
        return { ok: false, reason: `not established (state ${call.state}, status ${call.status})` };
      }
      call.media.play(toneSource(Number(msg.toneHz), 16_000));
      await sleep(Number(msg.holdMs ?? 3000));
      const h = heard(call, Number(msg.expectHz));
      await call.hangup().catch(() => undefined);
      const ended = await within(
        call.ended().then(() => true),
        5000,
        false,
      );
      return { ok: true, ...h, ended };
    }
    case 'live': {
      // Calls not yet ended, by state, and the records the actor keeps (evidence lists).
      const states: Record<string, number> = {};
      const calls = [
        ...(lab.provider?.allPhones() ?? []).flatMap((p) => p.calls),
        ...(lab.oxo?.allExtensions() ?? []).flatMap((e) => e.calls),
      ];
      for (const c of calls) states[c.state] = (states[c.state] ?? 0) + 1;
      // The calls still up or ringing, with what set them up (at most 10, for the report).
      const up = calls
        .filter((c) => c.state !== 'ended' && c.state !== 'failed')
        .slice(0, 10)
        .map((c) => ({
          state: c.state,
          direction: c.direction,
          callId: c.invite?.callId,
          from: c.invite?.get('from'),
          requestUri: c.invite?.uri,
          status: c.status,
          invite: c.invite?.toBuffer().toString('latin1').slice(0, 1500),
        }));
      return {
        ok: true,
        callsByState: states,
        callsUp: up,
        registrations: lab.provider?.registrations.length ?? lab.oxo?.registrations.length ?? 0,
        routes: lab.provider?.routes.length ?? lab.oxo?.routes.length ?? 0,
        heapUsedMb: Math.round(process.memoryUsage().heapUsed / 1e5) / 10,
        // Heap against RSS: what the process still holds in JS and in ArrayBuffers, and what it has
        // mapped (the gap is pages the allocators keep, not objects).
        arrayBuffersMb: Math.round(process.memoryUsage().arrayBuffers / 1e5) / 10,
        rssMb: Math.round(process.memoryUsage().rss / 1e5) / 10,
        // What the resident memory is made of: V8's committed heap, external memory, and the
        // mappings (glibc's main heap, other anonymous memory, files) from /proc/self/smaps.
        heapTotalMb: Math.round(process.memoryUsage().heapTotal / 1e5) / 10,
        externalMb: Math.round(process.memoryUsage().external / 1e5) / 10,
        residentMb: residentByKind(),
      };
    }
    default:
      return { ok: false, reason: `unknown command ${String(msg.cmd)}` };
  }
}

process.on('message', (raw) => {
  const msg = raw as Record<string, unknown>;
  void handle(msg).then(
    (r) => process.send?.({ id: msg.id, result: r }),
    (e: Error) => process.send?.({ id: msg.id, result: { ok: false, reason: e.message } }),
  );
});
process.on('SIGTERM', () => {
  void lab.stop().finally(() => process.exit(0));
});
process.on('disconnect', () => {
  void lab.stop().finally(() => process.exit(0));
});
process.send({ ready: true, pid: process.pid });
