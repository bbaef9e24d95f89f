import { SynodError } from '../../../src/core/errors.js';
import { type SimConfig, type TraceEvent, resolveSimConfig } from '../../../src/sim/index.js';

/** What the visualizer needs from a trace written by `synod sim --trace`. */
export interface TraceFile {
  readonly config: SimConfig;
  /** The violation the trace recorded, if any: the replay should reach the same one. */
  readonly violation: Extract<TraceEvent, { type: 'violation' }> | undefined;
  readonly end: Extract<TraceEvent, { type: 'end' }> | undefined;
  readonly lines: number;
}

function parseLine(line: string, number: number): TraceEvent {
  try {
    return JSON.parse(line) as TraceEvent;
  } catch {
    throw new SynodError(
      'BAD_TRACE',
      `line ${number} is not JSON; is this a trace from synod sim --trace?`,
    );
  }
}

/**
 * Reads a trace's header (the full resolved configuration and seed) and its verdict. The run is
 * deterministic, so the header alone replays every event; the rest is only compared.
 */
export function parseTraceFile(text: string): TraceFile {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new SynodError('BAD_TRACE', 'the file is empty');
  const header = parseLine(lines[0]!, 1);
  if (header.type !== 'header' || header.format !== 'synod-trace')
    throw new SynodError(
      'BAD_TRACE',
      'the first line is not a synod-trace header; write one with synod sim --trace FILE',
    );
  let violation: TraceFile['violation'];
  let end: TraceFile['end'];
  for (let i = lines.length - 1; i >= 1 && i >= lines.length - 3; i--) {
    const event = parseLine(lines[i]!, i + 1);
    if (event.type === 'violation' && violation === undefined) violation = event;
    if (event.type === 'end' && end === undefined) end = event;
  }
  return { config: resolveSimConfig(header.config), violation, end, lines: lines.length };
}
