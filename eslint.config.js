// Lint rules, including the layering of DESIGN.md: imports point downward only, and the layers that
// must run in a browser (core, protocols, check, sim) import nothing from Node.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

/** Layers from the bottom up; each may import only the layers listed before it. */
const layers = ['core', 'protocols', 'check', 'sim', 'storage', 'transport', 'server', 'cli'];
const browserSafe = new Set(['core', 'protocols', 'check', 'sim']);

function layeringRules(layer) {
  const above = layers.slice(layers.indexOf(layer) + 1);
  const patterns = above.map((upper) => ({
    group: [`**/${upper}/**`, `**/${upper}`],
    message: `Bad layering: src/${layer} must not import src/${upper} (imports point downward, see DESIGN.md).`,
  }));
  const paths = browserSafe.has(layer)
    ? nodeBuiltins.map((name) => ({
        name,
        message: `Bad layering: src/${layer} runs in the browser and must not import Node built-ins.`,
      }))
    : [];
  return {
    files: [`src/${layer}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'web/dist/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/protocols/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  ...layers.map(layeringRules),
  webLayering(),
);

/** The visualizer runs in the browser: it may import core, protocols, check and sim, and no Node. */
function webLayering() {
  const forbidden = ['storage', 'transport', 'server', 'cli'];
  return {
    files: ['web/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({
            name,
            message: 'Bad layering: web/ runs in the browser and must not import Node built-ins.',
          })),
          patterns: forbidden.map((upper) => ({
            group: [`**/src/${upper}/**`, `**/src/${upper}`],
            message: `Bad layering: web/ must not import src/${upper} (see DESIGN.md).`,
          })),
        },
      ],
    },
  };
}
