import { assert } from '../../core/assert.js';
import type { NodeId } from '../../core/ids.js';
import { type ClientResponse, type Ready, emptyReady, isReadyEmpty } from '../../core/protocol.js';

/** Upper bound on effects one batch may hold: a bug, not load, would exceed it. */
const EFFECTS_MAX = 1_000_000;

/**
 * Where a node puts its effects until the driver drains them as one `Ready`. Every strategy makes
 * its writes durable before anything leaves (`sync: true`): the failures shown here are the
 * strategies' own, not a disk that lies.
 */
export class Outbox<M, R> {
  private batch: Ready<M, R> = emptyReady();
  private effects = 0;

  constructor(private readonly from: NodeId) {}

  send(to: NodeId, message: M): void {
    this.count();
    this.batch.messages.push({ from: this.from, to, message });
  }

  persist(record: R): void {
    this.count();
    const last = this.batch.persist.at(-1);
    if (last?.kind === 'append')
      this.batch.persist[this.batch.persist.length - 1] = {
        kind: 'append',
        records: [...last.records, record],
      };
    else this.batch.persist.push({ kind: 'append', records: [record] });
  }

  /** Swaps the whole durable state for `records` (an installed log). */
  replace(records: readonly R[]): void {
    this.count();
    this.batch.persist.push({ kind: 'replace', records });
  }

  respond(response: ClientResponse): void {
    this.count();
    this.batch.responses.push(response);
  }

  note(kind: string, text: string, data?: unknown): void {
    this.count();
    this.batch.notes.push(data === undefined ? { kind, text } : { kind, text, data });
  }

  hasReady(): boolean {
    return !isReadyEmpty(this.batch);
  }

  drain(): Ready<M, R> {
    const batch = this.batch;
    this.batch = emptyReady();
    this.effects = 0;
    return batch;
  }

  private count(): void {
    this.effects++;
    assert(this.effects <= EFFECTS_MAX, `more than ${EFFECTS_MAX} effects in one batch`);
  }
}
