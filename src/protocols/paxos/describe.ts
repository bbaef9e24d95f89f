import { formatBallot } from '../../core/ballot.js';
import type { PaxosMessage } from './messages.js';
import { valueKey } from './messages.js';

/** One line per message, in the notation of the worked examples: `promise 4.4 (no previous)`. */
export function describeMessage(message: PaxosMessage): string {
  switch (message.type) {
    case 'prepare':
      return `prepare ${formatBallot(message.ballot)}`;
    case 'promise':
      return message.accepted === null
        ? `promise ${formatBallot(message.ballot)} (no previous)`
        : `promise ${formatBallot(message.ballot)} (vrnd ${formatBallot(message.accepted.ballot)}, v ${valueKey(message.accepted.value)})`;
    case 'prepare-rejected':
    case 'accept-rejected':
      return `${message.type} ${formatBallot(message.ballot)} (lastRnd ${formatBallot(message.lastRnd)})`;
    case 'accept':
    case 'accepted':
    case 'learn':
      return `${message.type} [${formatBallot(message.ballot)}, ${valueKey(message.value)}]`;
    case 'chosen':
      return `chosen ${valueKey(message.value)}`;
  }
}
