import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TOURS, parseScenario, runSimulation } from '../../../src/sim/index.js';
import { DEFAULT_SETUP, vizConfig } from './viz-config.js';
import { VizModel } from './viz-model.js';
import { parseTraceFile } from './trace-file.js';
import { TourPlayer } from './tour-player.js';
import { messageProgress } from './frame.js';

const raft = (): VizModel => new VizModel(vizConfig({ ...DEFAULT_SETUP, nodes: 5, seed: 3 }));

function leaders(model: VizModel): number[] {
  return model
    .frame()
    .nodes.filter((node) => node.status === 'up' && node.inspection?.leader === node.id)
    .map((node) => node.id);
}

/** What a person sees at a position, without identity of objects. */
function snapshot(model: VizModel): string {
  const frame = model.frame();
  return JSON.stringify({
    t: frame.timeUs,
    step: frame.step,
    nodes: frame.nodes,
    messages: frame.messages,
  });
}

describe('VizModel', () => {
  it('runs Raft in virtual time until one leader is shown', () => {
    const model = raft();
    model.advanceTo(2_000_000);
    expect(model.timeUs).toBe(2_000_000);
    expect(leaders(model)).toHaveLength(1);
  });

  it('each step forward shows at least one trace event, and playing never runs past the target time', () => {
    const model = raft();
    for (let i = 0; i < 50; i++) {
      expect(model.stepForward()).toBe(true);
      expect(model.lastStepEvents().length).toBeGreaterThan(0);
    }
    model.advanceTo(model.timeUs + 12_345);
    expect(model.events.at(-1)!.t).toBeLessThanOrEqual(model.timeUs);
    expect(model.nextEventUs()).toBeGreaterThan(model.timeUs);
  });

  it('step back shows exactly what the previous step showed', () => {
    const model = raft();
    model.advanceTo(400_000);
    model.stepForward();
    const before = snapshot(model);
    model.stepForward();
    expect(snapshot(model)).not.toBe(before);
    expect(model.stepBack()).toBe(true);
    expect(snapshot(model)).toBe(before);
    expect(model.rebuilds).toBe(1); // the step before was drawn, so its checkpoint was kept
    model.stepBack();
    model.stepBack(); // never drawn: rebuilt from the seed
    expect(model.rebuilds).toBe(2);
  });

  it('finds the step that produced any earlier event', () => {
    const model = raft();
    for (let i = 0; i < 30; i++) model.stepForward();
    const stepTen = raft();
    for (let i = 0; i < 10; i++) stepTen.stepForward();
    const firstOfStepTen = stepTen.events.length - stepTen.lastStepEvents().length;
    expect(model.stepOfEvent(firstOfStepTen)).toBe(10);
    expect(model.stepOfEvent(stepTen.events.length - 1)).toBe(10);
    expect(model.stepOfEvent(0)).toBe(0);
  });

  it('plays in time slices: stops where it ran out of time, and slicing changes nothing', () => {
    const model = raft();
    const whole = raft();
    whole.advanceTo(600_000);
    let asked = 0;
    expect(model.advanceTo(600_000, () => ++asked > 5)).toBe(false);
    expect(model.step).toBe(5);
    expect(model.timeUs).toBeLessThan(600_000);
    expect(model.events.at(-1)!.t).toBeLessThanOrEqual(model.timeUs);
    let slices = 1;
    for (; slices < 10_000; slices++) {
      let left = 7;
      if (model.advanceTo(600_000, () => left-- <= 0)) break;
    }
    expect(slices).toBeGreaterThan(1);
    expect(model.timeUs).toBe(600_000);
    expect(snapshot(model)).toBe(snapshot(whole));
    expect(model.events).toEqual(whole.events);
  });

  it('steps back over checkpoints without rebuilding, and shows what a rebuild shows', () => {
    const model = raft();
    const twin = raft(); // goes back by rebuilding
    model.advanceTo(600_000);
    twin.advanceTo(600_000);
    const end = model.step;
    model.goToStep(end - 50); // one rebuild, keeping the 200 steps before as checkpoints
    const rebuilds = model.rebuilds;
    for (let i = 0; i < 40; i++) model.stepBack();
    expect(model.rebuilds).toBe(rebuilds);
    twin.goToStep(end - 90);
    expect(snapshot(model)).toBe(snapshot(twin));
    expect(model.events).toEqual(twin.events);
    expect(model.lastStepEvents()).toEqual(twin.lastStepEvents());
    for (let i = 0; i < 30; i++) model.stepForward();
    twin.goToStep(end - 60);
    expect(snapshot(model)).toBe(snapshot(twin));
    // Injecting from a checkpoint brings the simulation there first, then forks.
    model.inject({ type: 'crash', nodes: [0] });
    twin.inject({ type: 'crash', nodes: [0] });
    model.advanceTo(900_000);
    twin.advanceTo(900_000);
    expect(snapshot(model)).toBe(snapshot(twin));
    expect(model.events).toEqual(twin.events);
  });

  it('messages in flight move from 0 at the send to 1 at the delivery', () => {
    const model = raft();
    model.advanceTo(500_000);
    while (model.frame().messages.length === 0) model.stepForward();
    const message = model.frame().messages[0]!;
    expect(messageProgress(message, message.sentUs)).toBe(0);
    expect(messageProgress(message, message.deliverAtUs)).toBe(1);
  });

  it('replays what a person injected when it steps back and forward again', () => {
    const model = raft();
    model.advanceTo(1_500_000);
    const [leader] = leaders(model);
    expect(model.inject({ type: 'crash', nodes: [leader!] })).toBe(true);
    const crashStep = model.step;
    model.advanceTo(3_000_000);
    const later = snapshot(model);
    const newLeaders = leaders(model);
    expect(newLeaders).toHaveLength(1);
    expect(newLeaders[0]).not.toBe(leader);
    model.goToStep(crashStep - 1);
    expect(model.frame().nodes[leader!]!.status).toBe('up');
    model.stepForward();
    expect(model.frame().nodes[leader!]!.status).toBe('crashed');
    model.advanceTo(3_000_000);
    expect(snapshot(model)).toBe(later);
  });

  it('an input given after stepping back forks the run: the later inputs are forgotten', () => {
    const model = raft();
    model.advanceTo(1_000_000);
    model.inject({
      type: 'partition',
      sides: [
        [0, 1],
        [2, 3, 4],
      ],
    });
    model.advanceTo(1_200_000);
    model.inject({ type: 'heal' });
    model.seek(1_100_000);
    expect(model.frame().cut.length).toBeGreaterThan(0);
    model.inject({ type: 'crash', nodes: [4] });
    model.advanceTo(1_300_000);
    expect(model.frame().cut.length).toBeGreaterThan(0); // the heal is gone
    expect(model.frame().nodes[4]!.status).toBe('crashed');
  });

  it('storms drop messages and the frame shows the drops', () => {
    const model = raft();
    model.advanceTo(1_000_000);
    model.inject({
      type: 'storm',
      lossProbability: 0.5,
      duplicateProbability: 0,
      reorderProbability: 0,
    });
    model.advanceTo(1_100_000);
    const frame = model.frame(0);
    expect(frame.storm?.loss).toBe(0.5);
    expect(frame.drops.some((drop) => drop.reason === 'loss')).toBe(true);
  });

  it('client requests are answered through the protocol', () => {
    const model = new VizModel(vizConfig({ ...DEFAULT_SETUP, clients: 0 }));
    model.advanceTo(1_500_000);
    const [leader] = leaders(model);
    const id = model.submit(leader!, { f: 'put', key: 'x', value: '7' });
    expect(id).toBeTypeOf('number');
    model.advanceTo(1_700_000);
    expect(
      model.events.some(
        (event) => event.type === 'complete' && event.request === id && event.outcome === 'ok',
      ),
    ).toBe(true);
  });

  it('replays a violation trace from its header to the same violation', () => {
    const scenario = readFileSync(
      new URL('../../../scenarios/fixed-leader-ack-before-sync.json', import.meta.url),
      'utf8',
    );
    const lines: string[] = [];
    const result = runSimulation(parseScenario(`{"seed": 1, ${scenario.trim().slice(1)}`), {
      trace: (line) => lines.push(line),
    });
    expect(result.ok).toBe(false);
    const trace = parseTraceFile(lines.join('\n'));
    expect(trace.violation?.message).toBe(result.violation?.message);
    const model = new VizModel(trace.config);
    expect(model.runToEnd()).toBe(true);
    expect(model.violation?.message).toBe(trace.violation?.message);
    expect(model.result).toBeDefined();
    expect(model.events).toHaveLength(trace.lines); // the same run, event for event
    expect(model.events.map((event) => JSON.stringify(event))).toEqual(lines);
    expect(model.frame().done).toBe(true);
    expect(model.inject({ type: 'heal' })).toBe(false);
  });

  it('refuses a file that is not a trace, saying what to do', () => {
    expect(() => parseTraceFile('{"hello": 1}')).toThrow(/synod sim --trace/);
    expect(() => parseTraceFile('not json')).toThrow(/line 1 is not JSON/);
  });

  it('runs every registered protocol and variant in the page model', async () => {
    const { listVariants } = await import('../../../src/sim/index.js');
    for (const { protocol, variant } of listVariants()) {
      const model = new VizModel(vizConfig({ ...DEFAULT_SETUP, protocol, variant, nodes: 3 }));
      model.advanceTo(300_000);
      expect(model.frame().nodes).toHaveLength(3);
    }
  });
});

describe('TourPlayer', () => {
  it('plays every tour to the end with Next, and Back returns to the step before', () => {
    for (const tour of TOURS) {
      const player = new TourPlayer(tour);
      while (!player.atEnd) expect(player.next()).toBeDefined();
      expect(player.played).toHaveLength(tour.stepCount);
      expect(player.played.every((step) => step.problems.length === 0)).toBe(true);
      const last = player.current!;
      const before = player.played.at(-2);
      player.back();
      expect(player.current?.title).toBe(before?.title);
      player.next();
      expect(player.current).toEqual(last);
    }
  });
});
