import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.output/', '.wxt/', 'dist/', 'coverage/', '.peoplebook/', '.scratch/', '.scratch-pg/', '.exp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Directory data must never be parsed as HTML (design: textContent, never innerHTML).
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Render directory data with textContent or DOM APIs, never innerHTML.' },
        { property: 'outerHTML', message: 'Render directory data with textContent or DOM APIs, never outerHTML.' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['bin/**', 'bench/**', 'emulator/src/cli.ts'],
    rules: { 'no-console': 'off' },
  },
);
