// Flat config: typescript-eslint's recommended rules on everything we ship or run.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['test/**', 'example/**', 'bench/**', '.ci/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Plain-JavaScript checks of the smoke test run by Node (ESM and CommonJS).
    files: ['.ci/**/*.mjs', '.ci/**/*.cjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', require: 'readonly', module: 'readonly' } },
  },
  // require() is the point of require.cjs: CommonJS apps load the package that way.
  { files: ['.ci/**/*.cjs'], languageOptions: { sourceType: 'commonjs' }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
