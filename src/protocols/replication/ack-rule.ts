import { assert } from '../../core/assert.js';
import type { PrimaryBackupVariant, ReplicationOptions } from './options.js';

/**
 * How many backups must have stored a write before the primary acknowledges it — the one rule in
 * which the three primary–backup strategies differ (seed 002):
 * - asynchronous: none ("the primary answers OK, then copies to the slaves");
 * - synchronous (the default): every backup ("only when all data has landed");
 * - semi-synchronous: `semisyncAcks` of them ("a certain number of machines").
 */
export function backupAcksRequired(
  variant: PrimaryBackupVariant,
  backupCount: number,
  options: ReplicationOptions,
): number {
  assert(Number.isSafeInteger(backupCount) && backupCount >= 0, `bad backup count ${backupCount}`);
  switch (variant) {
    case 'async':
      return 0;
    case 'default':
      return backupCount;
    case 'semisync':
      return Math.min(Math.max(1, options.semisyncAcks), backupCount);
  }
}

/** Asynchronous replication ships on the next tick; the others ship with the write itself. */
export function shipsImmediately(variant: PrimaryBackupVariant): boolean {
  return variant !== 'async';
}
