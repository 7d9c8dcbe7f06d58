/**
 * The runner layer: the case API, checks, capabilities, DUT adapters, the journal and
 * results.json, and the plan runner. Scenarios import from here.
 */
export * from './audio-delay.ts';
export * from './call-invariants.ts';
export * from './capabilities.ts';
export * from './case-context.ts';
export * from './case-definition.ts';
export * from './checks.ts';
export * from './delay-probe.ts';
export * from './dtmf-conversion.ts';
export * from './dut-adapter.ts';
export * from './engineer.ts';
export * from './first-answer-prompter.ts';
export * from './fixture-audio-check.ts';
export * from './hold-relay.ts';
export * from './journal.ts';
export * from './kamailio-adapter.ts';
export * from './listen-window.ts';
export * from './load-agents.ts';
export * from './load-breakage.ts';
export * from './load-call-shapes.ts';
export * from './load-figures.ts';
export * from './load-merge.ts';
export * from './load-mix.ts';
export * from './load-rules.ts';
export * from './load-run.ts';
export * from './prompter.ts';
export * from './results.ts';
export * from './run-events.ts';
export * from './runner.ts';
export * from './sip-send-failures.ts';
export * from './verdict.ts';
