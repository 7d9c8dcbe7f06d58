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
      'test/scenarios/registration-contact.test.ts',
      'test/actors/provider-sipp.test.ts',
      'test/actors/provider.test.ts',
      'test/actors/reference-sbc-media.test.ts',
      'test/actors/reference-sbc-faults.test.ts',
      'test/actors/oxo.test.ts',
      'test/reports/html-report.test.ts',
      'test/reports/json-schema.test.ts',
      'test/config/profile.test.ts',
      'test/actors/call-history.test.ts',
      'test/scenarios/sdp-facts.test.ts',
      'test/scenarios/codecs-trunk.test.ts',
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
    octets: [98],
    fixedPorts: true,
    owner:
      'the live console of `run --ui` in tests (its default port 8765, and the fallback when that is taken)',
    files: ['test/cli/live-console-browser.test.ts', 'test/cli/live-console.test.ts'],
  },
  {
    octets: [99],
    fixedPorts: true,
    owner:
      'Ctrl-C of `run` against an external SBC and of `sbc` (the default profile moved there: .1, .2, .11, .12, port 5060), and of lab/up (.41, .42, .51, .52, RTP 49000-49099)',
    files: ['test/cli/interrupt.test.ts', 'test/lab/lab-up-interrupt.test.ts'],
  },
  {
    octets: [94, 95, 96, 97],
    fixedPorts: true,
    owner:
      'the over-the-wire fuzz (bench/wire-fuzz.ts): provider side 94, PBX side 95, fuzz sources 96, probes 97; in its own network namespace when the host allows one',
    files: ['bench/wire-fuzz.ts', 'test/bench/wire-fuzz.test.ts', 'test/bench/wire-fuzz-ci.test.ts'],
  },
  {
    octets: [81, 82, 83, 84, 85, 100, 101],
    fixedPorts: false,
    owner: 'media leg tests (ephemeral ports, one block per file group)',
    files: [
      'test/actors/media-leg-codecs.test.ts',
      'test/actors/media-leg-dtmf.test.ts',
      'test/actors/media-leg-dtmf-ssrc.test.ts',
      'test/actors/media-leg-session.test.ts',
      'test/actors/media-leg-comfort-noise.test.ts',
      'test/actors/media-leg-sources.test.ts',
      'test/actors/media-leg-audio-time.test.ts',
      'test/actors/call-glare.test.ts',
      'test/actors/call-offerless-reinvite.test.ts',
      'test/actors/call-setup-sdp.test.ts',
      'test/actors/media-leg-dtmf-stall.test.ts',
      'test/actors/media-leg-reoffer-decoder.test.ts',
      'test/actors/sbc-media-relay-port-change.test.ts',
      'test/actors/media-leg-reorder.test.ts',
      'test/actors/sbc-media-endpoint-reorder.test.ts',
    ],
  },
  {
    octets: [110, 111],
    fixedPorts: true,
    owner:
      'real equipment (test/runner/real-equipment.test.ts): the embedded SBC on fixed ports, a separately started simulator as the real side',
    files: ['test/support/sim-engineer.ts'],
  },
  {
    octets: [112, 113],
    fixedPorts: true,
    owner:
      'real equipment through the live console (test/cli/real-equipment-console.test.ts), its own block: vitest runs the two files side by side',
    files: ['test/support/sim-engineer.ts', 'test/cli/real-equipment-console.test.ts'],
  },
  {
    octets: [86, 87],
    fixedPorts: false,
    owner: 'robustness: calls never ACKed through the embedded lab (OXO side 86, provider side 87)',
    files: ['test/actors/no-ack-cleanup.test.ts'],
  },
  {
    octets: [102],
    fixedPorts: false,
    owner: 'reliable provisional responses (RFC 3262) of our user agent against a bare UDP peer',
    files: ['test/sip/prack-order.test.ts'],
  },
  {
    octets: [88],
    fixedPorts: false,
    owner: 'robustness: per-source limits of the SIP transport and transaction layers, log summaries',
    files: ['test/sip/source-limits.test.ts', 'test/sip/log-flood.test.ts'],
  },
  {
    octets: [89],
    fixedPorts: false,
    owner: 'robustness: RTP port binds, EADDRINUSE and other failures of the actors',
    files: ['test/actors/bind-failures.test.ts', 'test/cli/robust-cli.test.ts'],
  },
  {
    octets: [90, 91, 92, 93],
    fixedPorts: false,
    owner:
      'security tests: intruders on the LAN (90) and WAN (91) sides, a TLS provider and SBC (92), the section run (93); ephemeral ports',
    files: ['test/actors/reference-sbc-security.test.ts', 'test/scenarios/security.test.ts'],
  },
];
