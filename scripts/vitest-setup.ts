import fc from 'fast-check';

/**
 * Property tests explore new random cases on every developer run, but CI runs the same cases every
 * time, so that a red CI is always reproducible: with CI set, fast-check's seed is fixed (FC_SEED
 * overrides it, to replay or explore elsewhere).
 */
if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
  fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261126) });
}
