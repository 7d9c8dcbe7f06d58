/** `sbc-harness doctor`: what this host can do, and how to install what it lacks. */
import { probeAll } from '../support/host-tools.ts';

export interface DoctorOptions {
  json?: boolean;
  strict?: boolean;
}

export function doctorCommand(opts: DoctorOptions, out: (s: string) => void): number {
  const statuses = probeAll(true);
  const missing = statuses.filter((s) => !s.available);
  if (opts.json) {
    out(
      `${JSON.stringify(
        statuses.map((s) => ({
          id: s.tool.id,
          kind: s.tool.kind,
          available: s.available,
          path: s.path ?? null,
          version: s.version ?? null,
          purpose: s.tool.purpose,
          install: s.available ? null : s.installHint,
        })),
        null,
        2,
      )}\n`,
    );
  } else {
    const width = Math.max(...statuses.map((s) => s.tool.id.length));
    out(`Node.js ${process.version} on ${process.platform}/${process.arch}\n\n`);
    for (const s of statuses) {
      const mark = s.available ? 'ok     ' : 'missing';
      const detail = s.available
        ? `${s.path}${s.version ? `  (${s.version})` : ''}`
        : `install: ${s.installHint}`;
      out(
        `  ${mark}  ${s.tool.id.padEnd(width)}  ${s.tool.purpose}\n  ${' '.repeat(9 + width)}  ${detail}\n`,
      );
    }
    out(
      missing.length === 0
        ? '\nEverything the harness can use is present.\n'
        : `\n${missing.length} missing. Cases that need them end as ERROR with the install hint; tests that need them skip (and fail in CI).\n` +
            `All at once: apt-get install -y --no-install-recommends ${missing.flatMap((s) => s.tool.debian).join(' ')}\n`,
    );
  }
  return opts.strict && missing.length > 0 ? 1 : 0;
}
