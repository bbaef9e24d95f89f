import { describe, expect, it } from 'vitest';
import { MessageCounts } from './message-counts.js';

describe('MessageCounts', () => {
  it('counts by peer and type, separately for each direction', () => {
    const counts = new MessageCounts();
    counts.sent(1, 'append');
    counts.sent(1, 'append');
    counts.sent(2, 'heartbeat');
    counts.received(1, 'append-response');
    expect(counts.snapshot()).toEqual({
      sent: { '1': { append: 2 }, '2': { heartbeat: 1 } },
      received: { '1': { 'append-response': 1 } },
    });
  });

  it('bounds what a peer can make it keep: odd types become "other", long ones are cut', () => {
    const counts = new MessageCounts();
    counts.received(1, 42);
    counts.received(1, '');
    counts.received(1, 'x'.repeat(500));
    for (let i = 0; i < 200; i++) counts.received(2, `type-${i}`);
    const received = counts.snapshot().received;
    expect(received['1']).toEqual({ other: 2, ['x'.repeat(64)]: 1 });
    expect(Object.keys(received['2']!)).toHaveLength(65);
    expect(received['2']!['other']).toBe(200 - 64);
  });
});
