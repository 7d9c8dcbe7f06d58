/**
 * `sbc-harness sbc` and `sbc-harness sim provider|oxo|all`: one actor (or the whole lab) of a
 * profile, started alone for manual lab work, until Ctrl-C (SIGINT) or SIGTERM ends it cleanly.
 */
import { Lab } from '../actors/lab.ts';
import { preflight } from '../config/preflight.ts';
import { loadProfile } from '../config/profile.ts';
import type { Profile } from '../config/profile-schema.ts';
import { createLogger } from '../support/log.ts';
import { startSimControl } from './sim-control.ts';

export type LabActor = 'provider' | 'sbc' | 'oxo';

export interface LabCommandOptions {
  profile?: string;
  sbcFault?: string[];
  sbcPersonality?: string[];
  /** The sets wait for commands on standard input (sim-control.ts): a stand-in for real equipment. */
  manual?: boolean;
}

export async function runActors(
  actors: LabActor[],
  opts: LabCommandOptions,
  out: (s: string) => void,
  stopSignal: Promise<string> = waitForSignal(),
): Promise<number> {
  const profile = loadProfile(opts.profile);
  if (actors.includes('sbc') && profile.sbc.kind !== 'embedded') {
    out(
      `The profile "${profile.name}" points at an external SBC (sbc.kind: external); there is no embedded SBC to start.\n`,
    );
    return 2;
  }
  await preflight(profile, opts.profile ?? 'profiles/embedded.yaml', actors);
  const logger = createLogger();
  const lab = await Lab.start({
    profile,
    only: actors,
    register: false,
    ...(opts.sbcFault && opts.sbcFault.length > 0 ? { faults: opts.sbcFault } : {}),
    ...(opts.sbcPersonality && opts.sbcPersonality.length > 0 ? { personalities: opts.sbcPersonality } : {}),
    logger,
  });
  // Nobody takes the evidence of ended calls from actors that run on their own: keep little of it.
  lab.keepStandalone();
  out(describe(lab, profile));
  const stopControl = opts.manual ? startSimControl(lab, process.stdin, out) : undefined;
  if (stopControl)
    out(
      'manual: the sets wait for commands on standard input (answer, call, dtmf, tone, hold, resume, prefer, level, hangup, status)\n',
    );
  let signalled: string | undefined;
  const stopping = stopSignal.then((sig) => {
    signalled = sig;
    return sig;
  });
  if (lab.oxo) {
    const at = `${profile.sbc.lan.address}:${profile.sbc.lan.port}`;
    out(`oxo: registering at the SBC ${at} (its answer may take up to 32 s; Ctrl-C stops)\n`);
    const t0 = Date.now();
    const tick = setInterval(
      () =>
        out(
          `oxo: still waiting for the SBC at ${at} to answer (${Math.round((Date.now() - t0) / 1000)} s)\n`,
        ),
      5000,
    );
    const status = await Promise.race([
      lab.oxo.register().catch((e: Error) => e.message),
      stopping.then(() => undefined),
    ]);
    clearInterval(tick);
    if (status !== undefined)
      out(
        `oxo: registration at the SBC ${at} → ${status}${status === 200 ? '' : ' (the trunk retries by itself)'}\n`,
      );
  }
  if (signalled === undefined) {
    out('ready; Ctrl-C stops\n');
    await stopping;
  }
  out(`${signalled}: stopping\n`);
  stopControl?.();
  await lab.stop();
  out(summary(lab));
  out('stopped\n');
  return 0;
}

function describe(lab: Lab, p: Profile): string {
  const lines: string[] = [`profile ${p.name}`];
  if (lab.provider) {
    lines.push(
      `provider: ${p.provider.address} UDP/TCP ${lab.provider.port('UDP')}, TLS ${lab.provider.port('TLS')}; line ${p.provider.line.user}; ` +
        `phones ${p.provider.phones.map((ph) => `${ph.id}=${ph.number}`).join(', ')}; IVR ${p.provider.ivrNumber}`,
    );
  }
  if (lab.sbc) {
    const lan = lab.sbc.lanListener('UDP');
    const wan = lab.sbc.wanListener('UDP');
    lines.push(
      `sbc: LAN ${lan.address}:${lan.port} (OXO user ${p.oxo.trunk.user}), WAN ${wan.address}:${wan.port} → provider ${p.provider.address}`,
    );
  }
  if (lab.oxo) {
    const ids = ['deskphone1', 'deskphone2', 'remote', 'fxs1', 'attendant'] as const;
    const exts = ids.flatMap((id) => (p.oxo.extensions[id] ? [`${id}=${p.oxo.extensions[id].did}`] : []));
    lines.push(`oxo: ${p.oxo.address}:${p.oxo.port}; extensions ${exts.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function summary(lab: Lab): string {
  const parts: string[] = [];
  if (lab.provider)
    parts.push(
      `provider: ${lab.provider.counts.registerAccepted} registrations accepted (of ${lab.provider.counts.register} REGISTER), ${lab.provider.counts.routed} calls routed`,
    );
  if (lab.sbc) parts.push(`sbc: ${lab.sbc.calls().length} calls`);
  if (lab.oxo) {
    const c = lab.oxo.counts;
    parts.push(`oxo: ${c.registerAccepted} registrations accepted (of ${c.registerTried} tried)`);
  }
  return parts.length > 0 ? `${parts.join('; ')}\n` : '';
}

function waitForSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(sig);
    };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
}
