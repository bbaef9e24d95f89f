/** What the browser tests share: Debian's chromium and `synod viz` on a free port. */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface VizServer {
  readonly child: ChildProcess;
  readonly url: string;
}

export function startViz(): Promise<VizServer> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/synod.js'), 'viz', '--port', '0']);
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += String(chunk);
      const url = /http:\/\/\S+\//.exec(output)?.[0];
      if (url !== undefined) resolve({ child, url });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`synod viz exited with ${code}: ${output}`)));
  });
}
