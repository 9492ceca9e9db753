// Lint rules, and the import boundaries between the rooms of DESIGN.md (see STYLE.md "Shape").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const room = (names) => names.map((n) => `**/${n}/**`);

/** `load/` and `faults/` never import each other; `report/` reads result types only. */
const boundaries = [
  {
    files: ['src/load/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: room(['faults', 'runner', 'cli', 'report', 'probes', 'kube']), message: 'load/ knows nothing of faults, the runner or the reports: engines only produce samples.' }],
      }],
    },
  },
  {
    files: ['src/sessions/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: room(['faults', 'runner', 'cli', 'report', 'probes', 'kube']), message: 'sessions/ is an engine like load/: it only produces samples.' }],
      }],
    },
  },
  {
    files: ['src/faults/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [{ group: room(['load', 'sessions', 'runner', 'cli', 'report']), message: 'faults/ never imports load/ (nor the runner, CLI or reports).' }],
      }],
    },
  },
  {
    files: ['src/report/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: room(['plan']), allowTypeImports: true, message: 'report/ may only import types from plan/.' },
          { group: room(['runner', 'load', 'faults', 'probes', 'metrics', 'kube', 'cli', 'localcluster']), message: 'report/ reads result types only (src/results, src/core).' },
        ],
      }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/demo/**'],
    rules: {
      'no-console': 'error',
      'no-restricted-properties': ['error',
        { object: 'process', property: 'exit', message: 'only src/cli/ exits the process: throw a CrtError.' },
        { object: 'process', property: 'stdout', message: 'only src/cli/ writes to stdout.' },
        { object: 'process', property: 'stderr', message: 'only src/cli/ writes to stderr: log with pino or report through an observer.' },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'reports/**', '.crt/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
      // interfaces return promises; an implementation that needs no await is still async
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
  // k6 scripts run in k6, not Node: its globals (https://grafana.com/docs/k6/latest/using-k6/environment-variables/)
  { files: ['scenarios/**/*.k6.js'], languageOptions: { globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' } } },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The embedded cluster serves arbitrary Kubernetes JSON: objects are only as typed as each controller needs.
    files: ['src/localcluster/**/*.ts', 'test/**/localcluster/**/*.ts', 'bench/cluster.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  ...boundaries,
  ...functionLength(),
);

// Long functions hide the story (STYLE.md): none over 60 lines in src/, blank lines and comments
// counted. The one exception is the pacer's hot path (autocannon's generator loop), kept whole on purpose.
// (a function declaration: hoisted, so that the config above can take it)
function functionLength() {
  return [
    { files: ['src/**/*.ts'], rules: { 'max-lines-per-function': ['error', { max: 60 }] } },
    { files: ['src/load/autocannon/generator.ts'], rules: { 'max-lines-per-function': 'off' } },
  ];
}
