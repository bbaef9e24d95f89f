import { SynodError } from '../core/errors.js';
import type { Tour } from '../core/tour.js';
import { FAST_PAXOS_TOURS } from '../protocols/fastpaxos/tours.js';
import { MULTIPAXOS_TOURS } from '../protocols/multipaxos/tours.js';
import { PAXOS_TOURS } from '../protocols/paxos/tours.js';
import { REPLICATION_TOURS } from '../protocols/replication/tours.js';

/**
 * Every guided tour, in the order the docs teach them. To add a protocol's tours: import its list
 * and spread it here.
 */
export const TOURS: readonly Tour[] = [
  ...PAXOS_TOURS,
  ...MULTIPAXOS_TOURS,
  ...FAST_PAXOS_TOURS,
  ...REPLICATION_TOURS,
];

export function findTour(name: string): Tour {
  const tour = TOURS.find((candidate) => candidate.name === name);
  if (tour === undefined) {
    throw new SynodError(
      'UNKNOWN_SCENARIO',
      `unknown scenario ${JSON.stringify(name)}; \`synod scenario list\` shows the ${TOURS.length} there are.`,
    );
  }
  return tour;
}
