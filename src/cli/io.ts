/**
 * Where a command writes, injectable so that tests run commands in process. `exit` records the
 * process exit code instead of exiting, so a command can finish writing first.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal: progress bars and colour only then. */
  readonly isTty: boolean;
  setExitCode(code: number): void;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTty: Boolean(process.stdout.isTTY),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/** An io that keeps everything, for tests. */
export function memoryIo(
  isTty = false,
): CliIo & { stdout: string; stderr: string; exitCode: number } {
  const io = {
    stdout: '',
    stderr: '',
    exitCode: 0,
    isTty,
    out(text: string) {
      io.stdout += text;
    },
    err(text: string) {
      io.stderr += text;
    },
    setExitCode(code: number) {
      io.exitCode = code;
    },
  };
  return io;
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** A check failed: not linearizable, a violation found. */
  violation: 1,
  /** Bad usage or unreadable input. */
  usage: 2,
  /** A check could not decide within its budget. */
  unknown: 3,
} as const;
