/**
 * A test playing the certification engineer: it carries out each instruction of a run with real
 * equipment on the "real" side, which is the project's own simulator started separately with
 * `sim oxo|provider --manual` and driven through its standard input, and answers as the
 * engineer would after looking (the simulator's printed events, the level its handset hears).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadProfile } from '../../harness/config/profile.ts';
import type { Profile } from '../../harness/config/profile-schema.ts';
import type { Instruction } from '../../harness/runner/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sbc-harness.js', import.meta.url));

/**
 * The default profile on the addresses of the real-equipment tests (fixed ports: the embedded
 * SBC and the "real" side's simulator meet there), with real equipment on `side`.
 */
export function realEquipmentProfile(side: 'oxo' | 'provider', at: 'runner' | 'console' = 'runner'): Profile {
  const p = structuredClone(loadProfile());
  // Each test file its own block (fixed ports, and vitest runs files side by side).
  const a =
    at === 'runner'
      ? { wan: '127.0.110.2', provider: '127.0.110.1', lan: '127.0.111.2', oxo: '127.0.111.1' }
      : { wan: '127.0.112.2', provider: '127.0.112.1', lan: '127.0.113.2', oxo: '127.0.113.1' };
  p.sbc.wan.address = a.wan;
  p.provider.address = a.provider;
  p.sbc.lan.address = a.lan;
  p.oxo.address = a.oxo;
  p.oxo.trunk.domain = a.lan;
  p[side].kind = 'real';
  return p;
}

/** The profile file of the "real" side's simulator: the same profile, that side simulated. */
export function simProfileJson(p: Profile, side: 'oxo' | 'provider'): string {
  return JSON.stringify({ ...p, [side]: { ...p[side], kind: 'simulated' } });
}

/** A `sim … --manual` child process with its printed lines. */
export class ManualSim {
  readonly lines: string[] = [];
  private readonly proc: ChildProcessWithoutNullStreams;
  private waiters: Array<{ re: RegExp; from: number; resolve: (l: string | undefined) => void }> = [];

  constructor(actor: 'oxo' | 'provider', profileFile: string) {
    this.proc = spawn(process.execPath, [BIN, 'sim', actor, '--manual', '--profile', profileFile], {
      stdio: 'pipe',
      env: { ...process.env, SBC_HARNESS_LOG: 'error' },
    });
    let buf = '';
    this.proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        this.lines.push(line);
        for (const w of [...this.waiters])
          if (w.re.test(line)) {
            this.waiters = this.waiters.filter((x) => x !== w);
            w.resolve(line);
          }
      }
    });
    this.proc.stderr.on('data', () => undefined);
  }

  send(command: string): void {
    this.proc.stdin.write(`${command}\n`);
  }

  /** The first line matching `re` printed at index `from` or later, waiting up to `ms`. */
  async waitFor(re: RegExp, ms = 10_000, from = 0): Promise<string | undefined> {
    const seen = this.lines.slice(from).find((l) => re.test(l));
    if (seen) return seen;
    return new Promise((resolve) => {
      const w = { re, from, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(undefined);
      }, ms);
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engineer's typed answer: "ok", "nok why", "na why". */
export type TypedAnswer = string;

/**
 * Carries out one instruction on the simulated "real" OXO and returns the typed answer. Throws
 * on an instruction it does not understand (so a new wording is noticed, not answered blindly).
 */
export class SimEngineer {
  /** Where the sim's lines stood when the current call began (events of this call only). */
  private mark = 0;
  private dtmfMode: 'rfc2833' | 'inband' = 'rfc2833';
  /** Answers to give instead of looking, by a pattern of the instruction's text (e.g. a NOK). */
  readonly overrides: Array<{ re: RegExp; answer: TypedAnswer }> = [];

  constructor(
    readonly sim: ManualSim,
    private readonly profile: Profile,
  ) {}

  /** The set id named in an instruction by its number in parentheses ("Premium Deskphone 1 (100)"). */
  private setIn(text: string): string {
    const phone = /your phone (\S+)/.exec(text)?.[1];
    if (phone) return phone;
    const num = /\((\d{1,8})\)/.exec(text)?.[1];
    const exts = this.profile.oxo.extensions;
    for (const id of ['deskphone1', 'deskphone2', 'remote', 'fxs1', 'attendant'] as const)
      if (exts[id] && exts[id].number === num) return id;
    throw new Error(`no set named in "${text}"`);
  }

  async carryOut(i: Instruction): Promise<TypedAnswer> {
    const override = this.overrides.find((o) => o.re.test(i.text));
    if (override) return override.answer;
    const t = i.text;
    let m: string[] = [];
    const is = (re: RegExp): boolean => {
      const r = re.exec(t);
      m = r ? [...r] : [];
      return r !== null;
    };
    if (is(/^Answer the call ringing on /)) {
      const who = this.setIn(t);
      await this.sim.waitFor(new RegExp(`^ringing ${who} `), 15_000, this.mark);
      this.sim.send(`answer ${who}`);
      return (await this.sim.waitFor(new RegExp(`^established ${who}$`), 10_000, this.mark))
        ? 'ok'
        : 'nok it did not ring';
    }
    if (is(/^While it rings, does the display of .* show (.*)\?$/)) {
      const who = this.setIn(t);
      const ring = await this.sim.waitFor(new RegExp(`^ringing ${who} `), 15_000, this.mark);
      const shown = /display "(.*)"/.exec(ring ?? '')?.[1];
      return shown && m[1]?.includes(shown)
        ? `ok shows ${shown}`
        : `nok the display shows ${shown ?? 'nothing'}`;
    }
    if (is(/^Speak into the handset of /)) {
      const who = this.setIn(t);
      this.sim.send(`tone ${who} on 700`);
      await sleep(1500);
      this.sim.send(`tone ${who} off`);
      return 'ok';
    }
    if (is(/^Do you hear a steady tone on /)) {
      const who = this.setIn(t);
      await sleep(1200);
      const from = this.sim.lines.length;
      this.sim.send(`level ${who}`);
      const line = await this.sim.waitFor(new RegExp(`^level ${who} `), 5000, from);
      const g723 = /G723 packets (\d+)/.exec(line ?? '');
      if (g723) {
        // The stand-in cannot decode G.723.1: it judges that the packets keep coming.
        await sleep(500);
        const again = this.sim.lines.length;
        this.sim.send(`level ${who}`);
        const later = /G723 packets (\d+)/.exec(
          (await this.sim.waitFor(new RegExp(`^level ${who} `), 5000, again)) ?? '',
        );
        return Number(later?.[1]) > Number(g723[1]) ? 'ok G.723.1 keeps arriving' : 'nok no G.723.1 arrives';
      }
      const db = Number(/level \S+ (-?[\d.]+|-inf)/.exec(line ?? '')?.[1]);
      return Number.isFinite(db) && db > -35 ? `ok ${db} dBFS` : `nok heard ${line ?? 'nothing'}`;
    }
    if (is(/^Hang up on /)) {
      const who = this.setIn(t);
      this.sim.send(`hangup ${who}`);
      await this.sim.waitFor(new RegExp(`^ended ${who}$`), 5000, this.mark);
      this.mark = this.sim.lines.length;
      return 'ok';
    }
    if (is(/has hung up: is the call on .* ended\?$/)) {
      const who = this.setIn(t);
      const ended = await this.sim.waitFor(new RegExp(`^ended ${who}$`), 5000, this.mark);
      this.mark = this.sim.lines.length;
      return ended ? 'ok' : 'nok still up';
    }
    if (is(/^Make sure the OXO sends DTMF (\S+).* then on .* dial (\S+) \(the test IVR\)$/)) {
      this.dtmfMode = m[1] === 'inband' ? 'inband' : 'rfc2833';
      const who = this.setIn(t);
      this.mark = this.sim.lines.length;
      this.sim.send(`call ${who} ${m[2]}`);
      return (await this.sim.waitFor(new RegExp(`^established ${who}$`), 15_000, this.mark))
        ? 'ok'
        : 'nok no answer';
    }
    if (is(/^After the IVR's prompt tone, press ([0-9#* ]+) on /)) {
      const who = this.setIn(t);
      await sleep(1000);
      const from = this.sim.lines.length;
      this.sim.send(`dtmf ${who} ${m[1]?.replace(/ /g, '')} ${this.dtmfMode}`);
      return (await this.sim.waitFor(new RegExp(`^sent ${who} `), 10_000, from))
        ? 'ok'
        : 'nok keys did nothing';
    }
    if (is(/^Did (.*) hear the IVR send the (\d+) digits back/)) {
      const who = this.setIn(t);
      const want = Number(m[2]);
      for (let k = 0; k < 40; k++) {
        if (this.sim.lines.slice(this.mark).filter((l) => l.startsWith(`dtmf ${who} `)).length >= want) break;
        await sleep(100);
      }
      const got = this.sim.lines.slice(this.mark).filter((l) => l.startsWith(`dtmf ${who} `)).length;
      return got === want ? 'ok' : `nok heard ${got} tones`;
    }
    if (is(/^Put the call on hold on /)) {
      this.sim.send(`hold ${this.setIn(t)}`);
      await sleep(300);
      return 'ok';
    }
    if (is(/^Resume the call on /)) {
      this.sim.send(`resume ${this.setIn(t)}`);
      await sleep(300);
      return 'ok';
    }
    if (is(/^Does the OXO's SIP trunk toward the SBC .* show as registered\?$/))
      return (await this.sim.waitFor(/registration at the SBC .* → 200/, 10_000))
        ? 'ok'
        : 'nok not registered';
    if (is(/^Set the codec order of (.*) on the OXO to (.*) \(first preferred, VAD off\)$/)) {
      const ids: Record<string, string> = {
        'G.711 A-law': 'PCMA',
        'G.711 µ-law': 'PCMU',
        'G.722': 'G722',
        'G.729': 'G729',
        'G.723.1': 'G723',
      };
      const codecs = (m[2] ?? '').split(', ').map((l) => ids[l] ?? l);
      for (const num of (m[1] ?? '').matchAll(/\((\d+)\)/g)) {
        const who = this.setIn(`(${num[1]})`);
        const from = this.sim.lines.length;
        this.sim.send(`prefer ${who} ${codecs.join(',')}`);
        if (!(await this.sim.waitFor(new RegExp(`^prefer ${who} `), 5000, from))) return `nok ${who} refused`;
      }
      return 'ok';
    }
    if (is(/^On .*, dial (\S+) \(an external phone\)$/)) {
      const who = this.setIn(t);
      this.mark = this.sim.lines.length;
      this.sim.send(`call ${who} ${m[1]}`);
      return (await this.sim.waitFor(new RegExp(`^established ${who}$`), 15_000, this.mark))
        ? 'ok'
        : 'nok the call was not answered';
    }
    if (is(/^From your phone (\S+).*, call (\S+) \(the DID of /)) {
      const who = m[1] ?? '';
      this.mark = this.sim.lines.length;
      this.sim.send(`call ${who} ${m[2]}`);
      return (await this.sim.waitFor(new RegExp(`^established ${who}$`), 15_000, this.mark))
        ? 'ok'
        : 'nok the call was not answered';
    }
    if (is(/^Did the IVR at \S+ react to the digits ([0-9#* ]+) \(each once\)\?$/)) {
      const want = (m[1] ?? '').replace(/ /g, '');
      // The digits of the IVR's latest call only.
      const from = this.sim.lines.findLastIndex((l) => l.startsWith('call ivr '));
      let got = '';
      for (let k = 0; k < 40 && got.length < want.length; k++) {
        got = this.sim.lines
          .slice(Math.max(0, from))
          .filter((l) => l.startsWith('dtmf ivr '))
          .map((l) => l.split(' ')[2])
          .join('');
        if (got.length < want.length) await sleep(100);
      }
      return got === want ? 'ok' : `nok the IVR heard "${got}"`;
    }
    throw new Error(`the test engineer does not know how to "${t}"`);
  }
}
