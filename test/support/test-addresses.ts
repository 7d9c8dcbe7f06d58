/**
 * The one place that hands out loopback addresses to tests and labs (127.0.N.x, by N), so that
 * the suite passes with any number of vitest workers and beside a lab or an SBC on the same
 * host. A block whose listeners take fixed ports (5060, an RTP range) belongs to one owner;
 * blocks where every listener takes an ephemeral port may be shared. A test
 * (test-addresses.test.ts) finds every literal 127.0.N in the tests and lab files and fails on
 * one that is not handed out here to that file.
 */
export interface AddressBlock {
  /** The third octets of the block (127.0.N.x). */
  octets: number[];
  /** True when listeners there take fixed ports: the block has one owner. */
  fixedPorts: boolean;
  /** Who uses it, for people. */
  owner: string;
  /** The files (relative to the repository) allowed to name these addresses. */
  files: string[];
}

export const ADDRESS_BLOCKS: readonly AddressBlock[] = [
  {
    octets: [0],
    fixedPorts: false,
    owner: '127.0.0.1: unit tests on ephemeral ports',
    files: ['*'],
  },
  {
    octets: [10, 20],
    fixedPorts: false,
    owner: 'profiles/embedded.yaml: the default lab, ephemeral ports in tests (per-case labs)',
    files: [
      'test/actors/provider-media.test.ts',
      'test/actors/provider-sipp.test.ts',
      'test/actors/provider.test.ts',
      'test/actors/reference-sbc-media.test.ts',
      'test/actors/reference-sbc-faults.test.ts',
      'test/actors/oxo.test.ts',
      'test/reports/html-report.test.ts',
      'test/reports/json-schema.test.ts',
      'test/config/profile.test.ts',
      'test/scenarios/sdp-facts.test.ts',
      'test/support/oxo-rig.ts',
    ],
  },
  {
    octets: [11],
    fixedPorts: false,
    owner: 'provider REFER tests',
    files: ['test/actors/provider-refer.test.ts'],
  },
  {
    octets: [12],
    fixedPorts: false,
    owner: 'provider number-form tests',
    files: ['test/actors/provider-numbers.test.ts'],
  },
  {
    octets: [30],
    fixedPorts: true,
    owner: 'baresip through the reference SBC',
    files: ['test/actors/baresip-lab.test.ts', 'test/support/baresip.ts'],
  },
  {
    octets: [33, 34],
    fixedPorts: true,
    owner: '`sbc-harness sim` / `sbc` as a user runs them (port 5060)',
    files: ['test/cli/lab-commands.test.ts'],
  },
  {
    octets: [40, 50],
    fixedPorts: true,
    owner: 'the native Kamailio lab of lab/lab.env and profiles/kamailio-lab.yaml (tests only rewrite them)',
    files: [
      'lab/lab.env',
      'test/lab/plan-verdicts.test.ts',
      'test/lab/kamailio-alt.test.ts',
      'lab/docker/compose.env',
    ],
  },
  {
    octets: [41, 51],
    fixedPorts: true,
    owner: 'the whole plan through the Kamailio lab (test/lab/plan-verdicts.test.ts), RTP 41500-41999',
    files: ['test/lab/plan-verdicts.test.ts', 'lab/docker/compose.env'],
  },
  {
    octets: [42, 52],
    fixedPorts: true,
    owner: 'the alt Kamailio configuration (test/lab/kamailio-alt.test.ts), RTP 42000-42499',
    files: ['test/lab/kamailio-alt.test.ts', 'lab/docker/compose.env'],
  },
  {
    octets: [43, 53],
    fixedPorts: true,
    owner: 'the docker-compose lab (lab/docker/compose.env), RTP 43000-43499',
    files: ['lab/docker/compose.env'],
  },
  {
    octets: [61, 71],
    fixedPorts: true,
    owner: 'a run against the reference SBC as an external SBC',
    files: ['test/runner/external-sbc.test.ts'],
  },
  {
    octets: [63, 73],
    fixedPorts: true,
    owner: 'the case pcap against an external SBC',
    files: ['test/runner/case-pcap-media.test.ts'],
  },
  {
    octets: [94, 95, 96, 97],
    fixedPorts: true,
    owner:
      'the over-the-wire fuzz (bench/wire-fuzz.ts): provider side 94, PBX side 95, fuzz sources 96, probes 97; in its own network namespace when the host allows one',
    files: ['bench/wire-fuzz.ts', 'test/bench/wire-fuzz.test.ts'],
  },
  {
    octets: [81, 82, 83, 84, 85],
    fixedPorts: false,
    owner: 'media leg tests (ephemeral ports, one block per file group)',
    files: [
      'test/actors/media-leg-codecs.test.ts',
      'test/actors/media-leg-dtmf.test.ts',
      'test/actors/media-leg-dtmf-ssrc.test.ts',
      'test/actors/media-leg-session.test.ts',
      'test/actors/media-leg-comfort-noise.test.ts',
      'test/actors/media-leg-sources.test.ts',
      'test/actors/call-glare.test.ts',
    ],
  },
];
