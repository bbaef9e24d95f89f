import type { Command } from 'commander';
import { SynodError } from '../core/errors.js';
import { parseNodeFlags } from '../server/config.js';
import { loadImageFile, restoreDataDirectory } from '../server/restored-image.js';
import { EXIT, type CliIo } from './io.js';

interface RestoreOptions {
  readonly dataDir?: string;
  readonly name?: string;
  readonly initialCluster?: string;
  readonly initialClusterToken?: string;
  readonly initialAdvertisePeerUrls?: string;
}

/**
 * `synod snapshot status|restore`: etcdctl's snapshot commands for Synod's images (what
 * `etcdctl snapshot save` writes from a Synod cluster). etcdctl's own status and restore expect
 * etcd's bbolt files and cannot read these; ours refuse a bbolt file with an error saying so.
 */
export function registerSnapshotCommand(program: Command, io: CliIo): void {
  const snapshot = program
    .command('snapshot')
    .description('inspect or restore a snapshot saved with `etcdctl snapshot save` from Synod');
  snapshot
    .command('status <file>')
    .description('verify an image and print its hash, revision, total keys and size')
    .option('-w, --write-out <format>', 'table or json', 'table')
    .action(async (file: string, options: { writeOut: string }) => {
      if (options.writeOut !== 'table' && options.writeOut !== 'json')
        throw new SynodError(
          'SERVER_BAD_FLAG',
          `--write-out must be table or json, got "${options.writeOut}"`,
        );
      const image = await loadImageFile(file);
      const hashed = image.store.hashKv(0);
      const hash = hashed.ok ? hashed.response.hash : 0;
      const status = {
        hash,
        revision: image.header.revision,
        totalKey: image.keyCount,
        totalSize: image.totalBytes,
      };
      if (options.writeOut === 'json') io.out(`${JSON.stringify(status)}\n`);
      else io.out(statusTable(status));
      io.setExitCode(EXIT.ok);
    });
  snapshot
    .command('restore <file>')
    .description(
      "create a new member's data directory from an image (then start it with synod node)",
    )
    .option('--data-dir <dir>', 'the new data directory (must not exist or be empty)')
    .option('--name <name>', "this member's name in --initial-cluster", 'default')
    .option('--initial-cluster <list>', 'every member of the new cluster as name=peerURL')
    .option('--initial-cluster-token <token>', 'the new cluster token', 'etcd-cluster')
    .option(
      '--initial-advertise-peer-urls <urls>',
      "this member's peer URLs",
      'http://127.0.0.1:2380',
    )
    .action(async (file: string, options: RestoreOptions) => {
      const config = parseNodeFlags({
        name: options.name,
        dataDir: options.dataDir ?? `${options.name ?? 'default'}.synod`,
        initialCluster: options.initialCluster,
        initialClusterToken: options.initialClusterToken,
        initialAdvertisePeerUrls: options.initialAdvertisePeerUrls,
        listenPeerUrls: options.initialAdvertisePeerUrls,
      });
      const image = await restoreDataDirectory(file, config);
      io.out(
        `restored ${image.keyCount} keys at revision ${image.header.revision} into ${config.dataDir} ` +
          `for member ${config.name}; start it with synod node and the same --name, ` +
          '--initial-cluster and --initial-cluster-token\n',
      );
      io.setExitCode(EXIT.ok);
    });
  for (const command of snapshot.commands)
    command
      .exitOverride()
      .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) });
}

function statusTable(status: {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}): string {
  const cells = [
    status.hash.toString(16).padStart(8, '0'),
    String(status.revision),
    String(status.totalKey),
    humanBytes(status.totalSize),
  ];
  const titles = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
  const widths = titles.map((title, i) => Math.max(title.length, (cells[i] as string).length));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const row = (values: string[]) =>
    `|${values.map((v, i) => ` ${v.padEnd(widths[i] as number)} `).join('|')}|\n`;
  return rule + row(titles) + rule + row(cells) + rule;
}

/** etcd's humanize.Bytes: SI units, one decimal. */
function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
