import type { LiveNode, LiveView } from './live-view.js';
import { rateText } from './live-view.js';

/** The line under the stage: who leads, in which term, how busy the links are. */
export function liveSummaryText(view: LiveView): string {
  const nameOf = (nodeId: number) => view.nodes[nodeId]?.name ?? `#${nodeId}`;
  const leaders =
    view.leaders.length === 0
      ? 'no leader'
      : view.leaders
          .map((nodeId) => {
            const state = view.nodes[nodeId]?.state;
            return `leader ${nameOf(nodeId)} (${state?.inspection.epoch?.name ?? 'term'} ${state?.inspection.epoch?.value ?? state?.term})`;
          })
          .join(', ');
  const up = view.nodes.filter((node) => node.status === 'up').length;
  const total = view.links.reduce((sum, link) => sum + link.perSecond, 0);
  const engine = view.nodes.find((node) => node.state !== undefined)?.state?.engine;
  return (
    `live${engine === undefined ? '' : ` ${engine}`} cluster · ${leaders} · ${up} of ${view.nodes.length} members answering` +
    ` · ${rateText(total)} peer messages`
  );
}

/** The selected member in the side panel: its state as the server reported it. */
export function liveNodeText(node: LiveNode, nowMs: number): string {
  const lines = [`endpoint: ${node.endpoint ?? '(none given)'}`, `status: ${node.status}`];
  if (node.error !== undefined && node.status !== 'up') lines.push(`last error: ${node.error}`);
  const state = node.state;
  if (state === undefined) return lines.join('\n');
  if (node.status !== 'up')
    lines.push(`last answer ${((nowMs - state.timestampMs) / 1000).toFixed(1)} s ago:`);
  lines.push(
    `member ${state.member.name} (id ${state.member.id}), engine ${state.engine}`,
    `role ${state.role}, term ${state.term}, leader ${state.leader?.name ?? 'none'}`,
    `committed ${state.committedIndex}, applied ${state.appliedIndex}, log ${state.log.firstIndex}..${state.log.lastIndex}`,
  );
  for (const follower of state.followers)
    lines.push(`  ${follower.name}: match ${follower.match}, next ${follower.next}`);
  const sent = Object.entries(state.messages.sent).map(
    ([peer, byType]) =>
      `  to ${state.members.find((member) => String(member.nodeId) === peer)?.name ?? peer}: ${Object.entries(
        byType,
      )
        .map(([type, count]) => `${type} ${count}`)
        .join(', ')}`,
  );
  if (sent.length > 0) lines.push('messages sent since start:', ...sent);
  return lines.join('\n');
}
