/**
 * Ctrl-C during `lab/up` stops what it started (issue 12): the script gets SIGINT as a terminal
 * sends it, to its whole process group, at several moments of its start-up; afterwards no
 * daemon of that lab runs and none listens on its addresses. The lab is moved to 127.0.99.x
 * (test-addresses.ts) with its own run directory and RTP range, so no other lab is touched.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const runDir = mkdtempSync(join(tmpdir(), 'lab-up-int-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  LAB_SBC_LAN: '127.0.99.52',
  LAB_SBC_WAN: '127.0.99.42',
  LAB_PROVIDER_ADDR: '127.0.99.41',
  LAB_OXO_ADDR: '127.0.99.51',
  LAB_RTP_MIN: '49000',
  LAB_RTP_MAX: '49099',
  LAB_RUN_DIR: runDir,
};
const down = () =>
  spawnSync(join(ROOT, 'lab', 'down'), ['--quiet'], { env, encoding: 'utf8', timeout: 30_000 });
afterAll(() => {
  down();
  rmSync(runDir, { recursive: true, force: true });
});

/** The pids of kamailio / rtpengine listening on the lab's addresses. */
function listening(): string[] {
  const r = spawnSync('ss', ['-Hlnup', 'src 127.0.99.52 or src 127.0.99.42'], { encoding: 'utf8' });
  return [...(r.stdout ?? '').matchAll(/pid=(\d+)/g)].map((m) => m[1]!);
}

describeWithPeers(['kamailio', 'rtpengine'], 'lab/up', () => {
  for (const afterMs of [150, 600, 1200]) {
    it(`stops what it started on Ctrl-C ${afterMs} ms into its start-up`, { timeout: 60_000 }, async () => {
      const child = spawn(join(ROOT, 'lab', 'up'), [], {
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      await new Promise((r) => setTimeout(r, afterMs));
      const t0 = performance.now();
      if (child.exitCode === null && child.pid) process.kill(-child.pid, 'SIGINT'); // the whole group, as Ctrl-C
      const code = await exited;
      const seconds = (performance.now() - t0) / 1000;
      console.log(`lab/up, SIGINT at ${afterMs} ms: exit ${code} ${seconds.toFixed(2)} s later`);
      if (code === 0) {
        // It was up before the signal: then it must have said so, and lab/down stops it.
        expect(out).toMatch(/^lab up: SBC LAN 127\.0\.99\.52:5060/m);
        down();
      } else if (code === null) {
        // Killed by the signal before its trap was set (while reading its settings): nothing
        // was started yet, which the checks below confirm.
        expect(child.signalCode).toBe('SIGINT');
      } else {
        expect(code, out).toBe(130);
        expect(out).toContain('lab/up: interrupted; stopping what was started');
      }
      expect(listening(), out).toEqual([]);
      for (const d of ['kamailio', 'rtpengine']) {
        const f = join(runDir, `${d}.pid`);
        if (existsSync(f)) {
          const pid = Number(readFileSync(f, 'utf8'));
          expect(spawnSync('kill', ['-0', String(pid)]).status, `${d} ${pid} still runs`).not.toBe(0);
        }
      }
    });
  }
});
