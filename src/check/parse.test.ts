import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { checkHistory } from './check.js';
import { HistoryError } from './errors.js';
import { parseHistory } from './parse.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The HistoryError that parsing throws, so tests can look at its code and message. */
function parseError(text: string, format: 'auto' | 'json' | 'jepsen-log' | 'jepsen-edn' = 'auto') {
  try {
    parseHistory(text, { format, fileName: 'h.txt' });
  } catch (error) {
    if (error instanceof HistoryError) return error;
    throw error;
  }
  throw new Error('expected a HistoryError');
}

describe('Jepsen logs', () => {
  test('old-style etcd log lines, with noise and nemesis lines skipped', () => {
    const text = [
      'INFO  jepsen.core - Running test',
      'INFO  jepsen.util - 3\t:invoke\t:cas\t[1 3]',
      'INFO  jepsen.util - 4\t:invoke\t:read\tnil',
      'INFO  jepsen.util - :nemesis\t:info\t:start\tnil',
      'INFO  jepsen.util - 3\t:fail\t:cas\t[1 3]',
      'INFO  jepsen.util - 4\t:ok\t:read\t3',
      'INFO  jepsen.util - 0\t:invoke\t:write\t2',
      'INFO  jepsen.util - 0\t:info\t:write\t:timed-out',
    ].join('\n');
    const parsed = parseHistory(text, { format: 'auto' });
    expect(parsed.format).toBe('jepsen-log');
    expect(parsed.skippedLines).toBe(2);
    expect(parsed.lines).toEqual([2, 3, 5, 6, 7, 8]);
    expect(parsed.history).toEqual([
      { process: 3, type: 'invoke', f: 'cas', value: [1, 3] },
      { process: 4, type: 'invoke', f: 'read', value: null },
      { process: 3, type: 'fail', f: 'cas', value: [1, 3] },
      { process: 4, type: 'ok', f: 'read', value: 3 },
      { process: 0, type: 'invoke', f: 'write', value: 2 },
      { process: 0, type: 'info', f: 'write', value: 'timed-out' },
    ]);
  });

  test('new-style lines with timestamps and worker names', () => {
    const parsed = parseHistory(fixture('etcd-stale-read.log'), { format: 'auto' });
    expect(parsed.format).toBe('jepsen-log');
    expect(parsed.history[0]).toEqual({ process: 0, type: 'invoke', f: 'write', value: 1 });
    expect(parsed.history).toHaveLength(10);
  });

  test('a malformed value on an operation line is an error naming the line', () => {
    const error = parseError('INFO  jepsen.util - 1\t:invoke\t:cas\t[1 3\n');
    expect(error.code).toBe('HISTORY_SYNTAX');
    expect(error.message).toMatch(/^h\.txt, line 1: bad value "\[1 3"/);
  });

  test('a completion without an invocation is an error naming the line', () => {
    const error = parseError(fixture('bad-order.log'));
    expect(error.code).toBe('HISTORY_ORDER_INVALID');
    expect(error.message).toBe(
      'h.txt, line 2: process 1 completes write (ok) without a pending invocation',
    );
  });

  test('a process that invokes twice without completing is an error', () => {
    const error = parseError(
      'INFO  jepsen.util - 1\t:invoke\t:read\tnil\nINFO  jepsen.util - 1\t:invoke\t:read\tnil\n',
    );
    expect(error.message).toMatch(/line 2: process 1 invokes read while its read \(event 1\)/);
  });
});

describe('Jepsen EDN', () => {
  test('one map a line, Porcupine kv style', () => {
    const parsed = parseHistory(fixture('kv-append-porcupine.edn'), { format: 'auto' });
    expect(parsed.format).toBe('jepsen-edn');
    expect(parsed.history[1]).toEqual({
      process: 1,
      type: 'invoke',
      f: 'append',
      key: '1',
      value: 'x 1 0 y',
    });
    expect(checkHistory(parsed.history, { model: 'kv' }).verdict).toBe('linearizable');
  });

  test('nemesis operations and comments are skipped; lines are counted from the text', () => {
    const parsed = parseHistory(fixture('kv-append-reordered.edn'), { format: 'auto' });
    expect(parsed.skippedLines).toBe(1);
    expect(parsed.lines).toEqual([2, 3, 4, 5, 7, 8]);
    expect(checkHistory(parsed.history, { model: 'kv' }).verdict).toBe('not linearizable');
  });

  test('Jepsen history.edn fields: integer keys, :time, tagged maps, a vector of ops', () => {
    const text =
      '[#jepsen.history.Op{:index 0, :time 10, :type :invoke, :process 0, :f :write, :key 5, :value 1}\n' +
      ' {:index 1, :time 20, :type :ok, :process 0, :f :write, :key 5, :value 1, :error nil}]';
    const parsed = parseHistory(text, { format: 'jepsen-edn' });
    expect(parsed.history).toEqual([
      { process: 0, type: 'invoke', f: 'write', key: '5', value: 1, time: 10 },
      { process: 0, type: 'ok', f: 'write', key: '5', value: 1, time: 20 },
    ]);
  });

  test('a bad event names its line and what was wrong', () => {
    const error = parseError(
      '{:process 0, :type :invoke, :f :read}\n{:process 0, :type :done, :f :read}\n',
    );
    expect(error.code).toBe('HISTORY_EVENT_INVALID');
    expect(error.message).toBe(
      'h.txt, line 2: "type" must be one of "invoke", "ok", "fail", "info" (got "done")',
    );
  });

  test('an unterminated map names the line where it starts', () => {
    const error = parseError('{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok\n');
    expect(error.code).toBe('HISTORY_SYNTAX');
    expect(error.message).toBe('h.txt, line 2: invalid EDN: "}" missing');
  });
});

describe('JSON', () => {
  test('an array of events, each with its line', () => {
    const parsed = parseHistory(fixture('cas-register-linearizable.json'), { format: 'auto' });
    expect(parsed.format).toBe('json');
    expect(parsed.lines.slice(0, 3)).toEqual([2, 3, 4]);
    expect(parsed.history[0]).toEqual({
      process: 1,
      type: 'invoke',
      f: 'write',
      value: 2,
      time: 1,
    });
  });

  test('JSON lines, blank lines allowed', () => {
    const parsed = parseHistory(
      '{"process":0,"type":"invoke","f":"get","key":"a"}\n\n{"process":0,"type":"ok","f":"get","key":"a","value":null}\n',
      { format: 'auto' },
    );
    expect(parsed.format).toBe('json');
    expect(parsed.lines).toEqual([1, 3]);
  });

  test('a syntax error names its line', () => {
    const error = parseError(fixture('bad-syntax-json.txt'));
    expect(error.code).toBe('HISTORY_SYNTAX');
    expect(error.message).toMatch(/^h\.txt, line 3: invalid JSON/);
  });

  test('an invalid event names its line and field', () => {
    const error = parseError(fixture('bad-event.jsonl'));
    expect(error.message).toBe(
      'h.txt, line 2: "type" must be one of "invoke", "ok", "fail", "info" (got "done")',
    );
    expect(parseError('[{"process": "a", "type": "invoke", "f": "read"}]').message).toBe(
      'h.txt, line 1: "process" must be an integer (got "a")',
    );
    expect(parseError('{"process": 1, "type": "invoke", "f": ""}').message).toMatch(/"f"/);
    expect(parseError('{"process": 1, "type": "invoke", "f": "get", "key": 3}').message).toMatch(
      /"key" must be a string/,
    );
  });
});

describe('format detection', () => {
  test('text that is no history is refused with a hint', () => {
    expect(parseError('hello\nworld\n').code).toBe('HISTORY_FORMAT_UNKNOWN');
    expect(parseError('  \n').code).toBe('HISTORY_EMPTY');
  });

  test('an explicit format is used as given', () => {
    expect(parseError('[1, 2]', 'jepsen-edn').message).toMatch(/expected a map/);
  });
});
