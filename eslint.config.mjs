import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.mjs';

/**
 * The layers of src/, lowest first (docs/architecture.md draws them). A folder may import only folders
 * on lower layers: no import runs upward, and none between folders of one layer, so no folder-level cycle.
 */
const LAYERS = [
  ['common', 'config'],
  ['metrics'],
  ['users', 'mail', 'rate-limit'],
  ['audit', 'health'],
  ['signing-keys'],
  ['auth'],
  ['mfa'],
  ['passkeys'],
  ['identities'],
  ['account', 'admin', 'oauth', 'web', 'retention'],
  ['database'],
  ['cli'],
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'bench/results/', 'bench/dist/', 'examples/*/dist/', 'test/artifacts/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { layers },
    rules: { 'layers/layers': ['error', { root: 'src', layers: LAYERS }] },
  },
  {
    // HTTP answers in e2e tests are untyped JSON: reading them is the point of the test.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // The benchmark is a command-line script: it prints its table.
    files: ['bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // The password worker is CommonJS (see the file for why).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
  },
  {
    // The account page's script runs in browsers, untyped.
    files: ['public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: {
        document: 'readonly',
        window: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
        location: 'readonly',
        history: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        FormData: 'readonly',
        Blob: 'readonly',
        Event: 'readonly',
        PublicKeyCredential: 'readonly',
        setTimeout: 'readonly',
      },
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
