import type { NodeId } from '../../core/ids.js';
import type { KvOp, KvResult } from '../../core/kv.js';
import type { MessageFilter } from './harness.js';
import type { ReplicationVariant } from './options.js';

/**
 * One step of a scenario: an action on the test cluster (harness.ts) or an expectation about it.
 * Every step may carry `say`, the sentence a guided tour shows with it.
 */
export type ScenarioStep = (
  | { readonly do: 'request'; readonly node: NodeId; readonly id: number; readonly op: KvOp }
  /** Tick the given nodes (default all) `count` times, in id order each round. */
  | { readonly do: 'tick'; readonly count: number; readonly nodes?: readonly NodeId[] }
  /** Deliver the matching messages in flight now (not the ones they produce). */
  | ({ readonly do: 'deliver' } & MessageFilter)
  /** Deliver matching messages, and what they produce, until none is in flight. */
  | ({ readonly do: 'deliver-all' } & MessageFilter)
  | ({ readonly do: 'drop' } & MessageFilter)
  | { readonly do: 'crash'; readonly node: NodeId }
  | { readonly do: 'restart'; readonly node: NodeId }
  | { readonly do: 'cut'; readonly between: readonly [NodeId, NodeId] }
  | { readonly do: 'heal' }
  /** The request's answer so far: ok with `result`, fail, or none yet. */
  | {
      readonly do: 'expect-response';
      readonly id: number;
      readonly outcome: 'ok' | 'fail' | 'none';
      readonly result?: KvResult;
    }
  /** The key-value state a node holds (a backup: the fold of its log; a replica: its registers). */
  | {
      readonly do: 'expect-state';
      readonly node: NodeId;
      readonly kv: Readonly<Record<string, string>>;
    }
  | { readonly do: 'expect-role'; readonly node: NodeId; readonly role: string }
  /** The strategy's invariant checker has reported this invariant broken by now. */
  | { readonly do: 'expect-violation'; readonly invariant: string }
  | { readonly do: 'expect-no-violation' }
) & { readonly say?: string };

export interface Scenario {
  /** Used by `synod scenario run NAME`. */
  readonly name: string;
  readonly title: string;
  /** What the scenario shows and which sentence of seed 002 it reproduces. */
  readonly description: string;
  readonly variant: ReplicationVariant;
  readonly nodes: number;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly steps: readonly ScenarioStep[];
}
