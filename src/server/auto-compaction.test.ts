import { describe, expect, it } from 'vitest';
import { AutoCompactionPlanner, REVISION_CHECK_MS } from './auto-compaction.js';
import { parseNodeFlags } from './config.js';
import { startInProcessCluster } from './testing/in-process-cluster.js';
import { waitUntil } from './testing/process-cluster.js';

const HOUR = 3_600_000;

describe('auto-compaction, periodic mode (etcd 3.4)', () => {
  it('samples every tenth of the retention and first compacts, once the retention passed, to the revision it had then', () => {
    const planner = new AutoCompactionPlanner({ mode: 'periodic', retentionMs: 10_000 }, 0);
    expect(planner.checkIntervalMs).toBe(1_000);
    let now = 0;
    let revision = 100;
    const compactions: number[] = [];
    for (let step = 0; step < 10; step++) {
      now += 1_000;
      revision += 5;
      const next = planner.next(now, revision, true);
      if (next !== undefined) compactions.push(next);
    }
    // At 10 s the window holds the samples of the last 10 s: the oldest is from 1 s.
    expect(compactions).toEqual([105]);
  });

  it('then compacts once per interval, keeping about the retention of history', () => {
    const planner = new AutoCompactionPlanner({ mode: 'periodic', retentionMs: 10_000 }, 0);
    const revisionAt = (ms: number) => 100 + ms / 100; // ten revisions a second
    const compactions: { at: number; to: number }[] = [];
    for (let now = 1_000; now <= 40_000; now += 1_000) {
      const next = planner.next(now, revisionAt(now), true);
      if (next === undefined) continue;
      compactions.push({ at: now, to: next });
      planner.compacted(now, next);
    }
    expect(compactions.map(({ at }) => at)).toEqual([10_000, 20_000, 30_000, 40_000]);
    // The window fills up after the first compaction: 9 s of history kept, then the full 10 s.
    expect(compactions.map(({ at, to }) => revisionAt(at) - to)).toEqual([90, 100, 100, 100]);
  });

  it('caps the interval at an hour for long retentions, and keeps 72 h of samples', () => {
    const planner = new AutoCompactionPlanner({ mode: 'periodic', retentionMs: 72 * HOUR }, 0);
    expect(planner.checkIntervalMs).toBe(HOUR / 10);
    let first: number | undefined;
    for (let now = HOUR / 10, sample = 1; first === undefined; now += HOUR / 10, sample++)
      first = planner.next(now, sample, true);
    expect(first).toBe(1); // the first sample, 72 h old
  });

  it('compacts only on the leader, and a follower that becomes leader has its window', () => {
    const planner = new AutoCompactionPlanner({ mode: 'periodic', retentionMs: 10_000 }, 0);
    for (let now = 1_000; now <= 15_000; now += 1_000)
      expect(planner.next(now, now / 1_000, false)).toBeUndefined();
    expect(planner.next(16_000, 16, true)).toBe(6);
  });
});

describe('auto-compaction, revision mode (etcd 3.4)', () => {
  it('every five minutes compacts to the current revision minus the retention, not twice to one', () => {
    const planner = new AutoCompactionPlanner({ mode: 'revision', retentionRevisions: 1_000 }, 0);
    expect(planner.checkIntervalMs).toBe(REVISION_CHECK_MS);
    expect(planner.next(REVISION_CHECK_MS, 800, true)).toBeUndefined(); // nothing old enough
    expect(planner.next(2 * REVISION_CHECK_MS, 1_500, false)).toBeUndefined(); // not the leader
    expect(planner.next(2 * REVISION_CHECK_MS, 1_500, true)).toBe(500);
    planner.compacted(2 * REVISION_CHECK_MS, 500);
    expect(planner.next(3 * REVISION_CHECK_MS, 1_500, true)).toBeUndefined(); // no new writes
    expect(planner.next(4 * REVISION_CHECK_MS, 2_200, true)).toBe(1_200);
  });
});

describe('auto-compaction flags', () => {
  const parse = (mode: string | undefined, retention: string | undefined) =>
    parseNodeFlags({ autoCompactionMode: mode, autoCompactionRetention: retention }).autoCompaction;
  const refusal = (mode: string | undefined, retention: string) => {
    try {
      parse(mode, retention);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it("reads etcd's forms: hours, Go durations, revisions; 0 turns it off", () => {
    expect(parse(undefined, undefined)).toBeUndefined();
    expect(parse('periodic', '0')).toBeUndefined();
    expect(parse(undefined, '1')).toEqual({ mode: 'periodic', retentionMs: HOUR });
    expect(parse('periodic', '30m')).toEqual({ mode: 'periodic', retentionMs: 30 * 60_000 });
    expect(parse('periodic', '1h30m')).toEqual({ mode: 'periodic', retentionMs: 90 * 60_000 });
    expect(parse('periodic', '1.5s')).toEqual({ mode: 'periodic', retentionMs: 1_500 });
    expect(parse('revision', '1000')).toEqual({ mode: 'revision', retentionRevisions: 1_000 });
  });

  it('refuses anything else, naming the flag', () => {
    expect(refusal('daily', '1')).toBe(
      '--auto-compaction-mode must be "periodic" or "revision", got "daily"',
    );
    expect(refusal('periodic', '-1')).toContain('--auto-compaction-retention "-1" must be');
    expect(refusal('periodic', '1d')).toContain('a number of hours or a duration');
    expect(refusal('revision', '30m')).toContain('must be a number of revisions');
    expect(refusal('periodic', '99999999999999999999')).toContain('is too large');
  });
});

describe('auto-compaction on a running cluster', () => {
  it('the leader compacts the history behind the retention window, through the log', async () => {
    const cluster = await startInProcessCluster('auto-compaction', {
      autoCompactionMode: 'periodic',
      autoCompactionRetention: '1s',
    });
    try {
      const leader = cluster.servers.find(
        (server) => server.runtime.leader() === server.runtime.nodeId,
      )!;
      const submit = (value: string) =>
        leader.runtime.submit({ type: 'put', request: { key: 'k', value } }, 5_000);
      const first = await submit('first');
      expect(first.ok).toBe(true);
      const firstRevision = first.ok ? first.revision : 0;
      // Keep writing for a while: after a second, compactions follow every second.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && leader.app.store.compactedRevision <= firstRevision) {
        await submit(String(Date.now()));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(leader.app.store.compactedRevision).toBeGreaterThan(firstRevision);
      // Every member applied the same compaction, from the log.
      await waitUntil(
        () =>
          cluster.servers.every(
            (server) => server.app.store.compactedRevision === leader.app.store.compactedRevision,
          ),
        5_000,
      );
      for (const server of cluster.servers)
        expect(server.app.store.compactedRevision).toBeGreaterThan(firstRevision);
    } finally {
      await cluster.stop();
    }
  }, 30_000);
});
