import { type Ballot, ZERO_BALLOT, compareBallots } from '../../core/ballot.js';
import type { RegisterCopy, ReplicationRecord } from './messages.js';
import type { QuorumVariant } from './options.js';

export const EMPTY_COPY: RegisterCopy = Object.freeze({
  value: null,
  version: ZERO_BALLOT,
  seq: 0,
});

interface Register {
  readonly copy: RegisterCopy;
  /** The highest recorded pre-read (`prepared` only): the seed's `last_rnd`. */
  readonly promised: Ballot;
}

const EMPTY_REGISTER: Register = { copy: EMPTY_COPY, promised: ZERO_BALLOT };

export interface ReplicaAnswer {
  readonly ok: boolean;
  readonly copy: RegisterCopy;
  readonly promised: Ballot;
  /** What to persist before the answer leaves; undefined when nothing changed. */
  readonly record?: ReplicationRecord;
}

/**
 * The replica side of the quorum strategies: one register per key, and the rule by which a replica
 * takes a write — the only place the four strategies differ on a replica:
 * - majority: every write overwrites (there is nothing to compare);
 * - lww, versioned: a write with a higher version wins, a lower one is ignored (and still acked);
 * - prepared: a write is taken iff its ballot is at least the highest pre-read recorded, and a
 *   pre-read is recorded iff its ballot is higher (Paxos phase 1b and 2b).
 */
export class RegisterStore {
  private readonly registers = new Map<string, Register>();

  constructor(private readonly variant: QuorumVariant) {}

  restore(record: ReplicationRecord): void {
    if (record.kind === 'register')
      this.registers.set(record.key, { copy: record.copy, promised: record.promised });
  }

  /** The highest round in any version or pre-read held: a restarted clock starts above it. */
  highestRound(): number {
    let round = 0;
    for (const register of this.registers.values())
      round = Math.max(round, register.copy.version.round, register.promised.round);
    return round;
  }

  copyOf(key: string): RegisterCopy {
    return this.register(key).copy;
  }

  entries(): [string, Register][] {
    return [...this.registers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  onRead(key: string, ballot: Ballot | undefined): ReplicaAnswer {
    const current = this.register(key);
    if (ballot === undefined) return { ok: true, copy: current.copy, promised: current.promised };
    // Invariant: promised never decreases (Paxos's last_rnd).
    if (compareBallots(ballot, current.promised) <= 0)
      return { ok: false, copy: current.copy, promised: current.promised };
    return this.update(key, { copy: current.copy, promised: ballot }, true);
  }

  onWrite(key: string, copy: RegisterCopy): ReplicaAnswer {
    const current = this.register(key);
    switch (this.variant) {
      case 'majority':
        return this.update(key, { copy, promised: current.promised }, true);
      case 'lww':
      case 'versioned': {
        const newer = compareBallots(copy.version, current.copy.version) > 0;
        if (!newer) return { ok: true, copy: current.copy, promised: current.promised };
        return this.update(key, { copy, promised: current.promised }, true);
      }
      case 'prepared':
        if (compareBallots(copy.version, current.promised) < 0)
          return { ok: false, copy: current.copy, promised: current.promised };
        return this.update(key, { copy, promised: copy.version }, true);
    }
  }

  private register(key: string): Register {
    return this.registers.get(key) ?? EMPTY_REGISTER;
  }

  private update(key: string, next: Register, ok: boolean): ReplicaAnswer {
    this.registers.set(key, next);
    return {
      ok,
      copy: next.copy,
      promised: next.promised,
      record: { kind: 'register', key, copy: next.copy, promised: next.promised },
    };
  }
}
