import { describe, expect, it } from 'vitest';
import type { NodeId } from './ids.js';
import type { LogCommand, ReplicatedApplication } from './replicated-state-machine.js';
import { ReplicatedStateMachine } from './replicated-state-machine.js';
import { ScriptedLog } from './testing/scripted-log.js';

type Command = LogCommand<string>;

/** The scripted engine, committing ops as the state machine's commands. */
class DeliveringLog extends ScriptedLog<Command> {
  commitOp(index: number, op: string, origin: NodeId = 2, requestId = 0): void {
    this.commit(index, { origin, requestId, op });
  }
}

/** A log of applied ops; restores asynchronously, finishing when the test says. */
class SlowRestoringApp implements ReplicatedApplication<string, string> {
  applied: string[] = [];
  restoreStarted: unknown[] = [];
  private finish: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private incoming: string[] = [];

  isReadOnly(op: string): boolean {
    return op === 'read';
  }
  apply(op: string): string {
    this.applied.push(op);
    return `applied ${op}`;
  }
  read(): string {
    return this.applied.join(',');
  }
  snapshot(): unknown {
    return [...this.applied];
  }
  restore(data: unknown): void {
    this.applied = [...(data as string[])];
  }
  restoreAsync(data: unknown): Promise<void> {
    this.restoreStarted.push(data);
    this.incoming = [...(data as string[])];
    return new Promise((resolve, reject) => {
      this.finish = {
        resolve: () => {
          this.applied = this.incoming;
          resolve();
        },
        reject,
      };
    });
  }
  finishRestore(): void {
    this.finish?.resolve();
  }
  failRestore(error: Error): void {
    this.finish?.reject(error);
  }
}

function setUp(appliedPerReadyMax?: number) {
  const engine = new DeliveringLog(1);
  const app = new SlowRestoringApp();
  const machine = new ReplicatedStateMachine(engine, app, {
    snapshotEveryEntries: 0,
    pendingRequestsMax: 100,
    ...(appliedPerReadyMax === undefined ? {} : { appliedPerReadyMax }),
  });
  return { engine, app, machine };
}

describe('ReplicatedStateMachine with appliedPerReadyMax', () => {
  it('applies at most that many entries per ready, the rest in order at the next ones', () => {
    const { engine, app, machine } = setUp(2);
    for (let index = 1; index <= 3; index++) engine.commitOp(index, `e${index}`);
    machine.ready();
    expect(app.applied).toEqual(['e1', 'e2']);
    expect(machine.hasReady()).toBe(true);
    engine.commitOp(4, 'e4');
    engine.commitOp(5, 'e5');
    machine.ready();
    expect(app.applied).toEqual(['e1', 'e2', 'e3', 'e4']);
    machine.ready();
    expect(app.applied).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']);
    expect(machine.appliedIndex).toBe(5);
    expect(machine.hasReady()).toBe(false);
  });
});

describe('ReplicatedStateMachine with an asynchronous restore', () => {
  it('holds back the entries committed after the snapshot, and applies them in order once it is restored', async () => {
    const { engine, app, machine } = setUp();
    engine.commitOp(1, 'a');
    machine.ready();
    engine.deliverSnapshot(5, ['s1', 's2']);
    engine.commitOp(6, 'b');
    machine.ready();
    expect(app.restoreStarted).toEqual([['s1', 's2']]);
    // The old state stays whole, and the index with it, until the restore ends.
    expect(app.applied).toEqual(['a']);
    expect(machine.appliedIndex).toBe(1);
    engine.commitOp(7, 'c');
    machine.ready();
    expect(app.applied).toEqual(['a']);
    expect(machine.hasReady()).toBe(false);

    app.finishRestore();
    await machine.untilRestored();
    expect(machine.hasReady()).toBe(true);
    machine.ready();
    expect(app.applied).toEqual(['s1', 's2', 'b', 'c']);
    expect(machine.appliedIndex).toBe(7);
  });

  it('answers a write and serves a read that waited for the restore only after it', async () => {
    const { engine, app, machine } = setUp();
    machine.request({ id: 10, op: 'w' });
    machine.request({ id: 11, op: 'read' });
    expect(engine.proposals.map((command) => command.op)).toEqual(['w']);
    expect(engine.barriers).toEqual([11]);
    engine.deliverSnapshot(3, ['s']);
    engine.commitOp(4, 'w', 1, 10);
    engine.resolveBarrier(11, 4);
    expect(machine.ready().responses).toEqual([]);
    app.finishRestore();
    await machine.untilRestored();
    expect(machine.ready().responses).toEqual([
      { id: 10, outcome: 'ok', result: 'applied w' },
      { id: 11, outcome: 'ok', result: 's,w' },
    ]);
  });

  it('a second snapshot delivered during a restore is restored after it, in order', async () => {
    const { engine, app, machine } = setUp();
    engine.deliverSnapshot(5, ['first']);
    machine.ready();
    engine.commitOp(6, 'x');
    machine.ready();
    engine.deliverSnapshot(9, ['second']);
    engine.commitOp(10, 'y');
    machine.ready();
    app.finishRestore();
    await machine.untilRestored();
    machine.ready();
    expect(app.restoreStarted).toEqual([['first'], ['second']]);
    expect(app.applied).toEqual(['first', 'x']);
    app.finishRestore();
    await machine.untilRestored();
    machine.ready();
    expect(app.applied).toEqual(['second', 'y']);
    expect(machine.appliedIndex).toBe(10);
  });

  it('a failed restore is thrown by the next ready', async () => {
    const { engine, app, machine } = setUp();
    engine.deliverSnapshot(5, ['s']);
    machine.ready();
    app.failRestore(new Error('corrupt snapshot'));
    await machine.untilRestored();
    expect(machine.hasReady()).toBe(true);
    expect(() => machine.ready()).toThrow('corrupt snapshot');
  });
});
