import type { NodeInspection } from '../../../src/core/protocol.js';

/** One entry of a protocol's log, as far as the visualizer can read it. */
export interface LogCell {
  readonly index: number;
  /** The term, epoch or view the entry was written in, when the protocol says. */
  readonly epoch: number | undefined;
  readonly committed: boolean;
}

export interface LogSummary {
  readonly cells: readonly LogCell[];
  readonly lastIndex: number;
  readonly commitIndex: number | undefined;
}

function numberField(record: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = record[key];
  return typeof value === 'number' ? value : undefined;
}

/**
 * The log with its commit point, for protocols whose inspection has a `log` array of entries with
 * an `index` (Raft, fixed leader, primary–backup); undefined for the others.
 */
export function logSummary(inspection: NodeInspection, cellsMax: number): LogSummary | undefined {
  const log = inspection.state['log'];
  if (!Array.isArray(log)) return undefined;
  const commitIndex = numberField(inspection.state, 'commitIndex');
  const entries = log
    .slice(-cellsMax)
    .filter(
      (entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null,
    );
  const cells = entries.map((entry) => {
    const index = numberField(entry, 'index') ?? 0;
    const epoch =
      numberField(entry, 'term') ?? numberField(entry, 'epoch') ?? numberField(entry, 'view');
    return { index, epoch, committed: commitIndex !== undefined && index <= commitIndex };
  });
  const lastIndex = numberField(inspection.state, 'lastIndex') ?? cells.at(-1)?.index ?? 0;
  return { cells, lastIndex, commitIndex };
}

/** "term 3", "ballot 2.1": the protocol's epoch in its own words. */
export function epochText(inspection: NodeInspection | undefined): string {
  if (inspection?.epoch === undefined) return '';
  return `${inspection.epoch.name} ${inspection.epoch.value}`;
}

/** The node's full state as indented text, long arrays shortened to their last entries. */
export function stateText(inspection: NodeInspection | undefined): string {
  if (inspection === undefined) return 'crashed: no volatile state';
  const shortened = JSON.stringify(
    {
      role: inspection.role,
      epoch: inspection.epoch,
      leader: inspection.leader,
      ...inspection.state,
    },
    (_key, value: unknown) =>
      Array.isArray(value) && value.length > 8
        ? [`… ${value.length - 8} earlier`, ...value.slice(-8)]
        : value,
    1,
  );
  return shortened.length > 6000 ? `${shortened.slice(0, 6000)}\n…` : shortened;
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 18 ? `${text.slice(0, 17)}…` : text;
}

/**
 * At most three short lines of state for protocols without a log: what an acceptor promised and
 * accepted, what a learner learned, a lease's owner, a store's version, a slot log's commit point.
 */
export function stateHighlights(inspection: NodeInspection): string[] {
  const state = inspection.state;
  const lines: string[] = [];
  const accepted = state['accepted'];
  if (typeof state['promised'] === 'string' || typeof state['promised'] === 'number')
    lines.push(`promised ${state['promised']}`);
  if (typeof accepted === 'object' && accepted !== null) {
    const record = accepted as Record<string, unknown>;
    if ('owner' in record)
      lines.push(`lease n${short(record['owner'])} @${short(record['ballot'])}`);
    else if ('value' in record)
      lines.push(`accepted ${short(record['value'])} @${short(record['ballot'])}`);
  }
  if (state['learned'] !== undefined && state['learned'] !== null)
    lines.push(`learned ${short(state['learned'])}`);
  if (typeof state['version'] === 'number') lines.push(`version ${state['version']}`);
  if (typeof state['commitSlot'] === 'number')
    lines.push(`commit slot ${state['commitSlot']}, next ${short(state['nextSlot'])}`);
  return lines.slice(-3);
}
