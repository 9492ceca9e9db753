// Lint rules, and the import boundaries between the rooms of DESIGN.md (see STYLE.md "Shape"):
// the table of which folder may import which is eslint/deps.mjs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import { DEPS, FOLDERS, deepMessage, forbiddenMessage, hasSubrows, parentOf } from './eslint/deps.mjs';

/**
 * The dependency table (eslint/deps.mjs) as lint rules: a folder imports only the folders its row
 * names, only through their index.ts, and no import cycle exists between files.
 */
const depsZones = DEPS.flatMap((row) => {
  const parent = parentOf(row.folder);
  // a folder with rows for its subfolders: its own row is the files directly in it
  const target = hasSubrows(row.folder) ? `./src/${row.folder}/*.ts` : `./src/${row.folder}`;
  // what this row sees as folders: the top of src/ and its own siblings, or its subfolders
  const visible = FOLDERS.filter((f) => f !== row.folder && f !== parent && (parentOf(f) === undefined || parentOf(f) === parent || parentOf(f) === row.folder));
  const forbidden = visible.filter((f) => !row.may.includes(f)).map((f) => `./src/${f}`);
  return [
    ...(forbidden.length ? [{ target, from: forbidden, message: forbiddenMessage(row) }] : []),
    // the files above a subfolder: a glob, which the rule takes only in a zone of its own
    ...(parent !== undefined ? [{ target, from: [`./src/${parent}/*.ts`], message: forbiddenMessage(row) }] : []),
    ...row.may.map((f) => ({ target, from: `./src/${f}`, except: ['./index.ts'], message: deepMessage(row, f) })),
  ];
});

const boundaries = [
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // our imports name the emitted .js file of a .ts source (TypeScript's NodeNext resolution)
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } })],
      // no-cycle follows only the files it can parse
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: depsZones }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
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
    // kube/selectors.ts matches field selectors against such objects for it.
    files: ['src/localcluster/**/*.ts', 'src/kube/selectors.ts', 'test/**/localcluster/**/*.ts', 'bench/cluster.ts'],
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
