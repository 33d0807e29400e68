import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'path', 'perf_hooks', 'process', 'stream', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', '.tools/', 'coverage/', '**/*.js', '**/*.mjs', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests read response bodies as loose JSON.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Workflow code is replayed: it must stay deterministic, so no I/O and no implementations of activities.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS.flatMap((name) => [name, `node:${name}`]), 'pg', 'twilio', 'koa'].map((name) => ({
            name,
            message: 'workflow code must be deterministic: no Node built-ins, databases or providers',
          })),
          patterns: [
            { group: ['@mikro-orm/*', '@sendgrid/*', '@temporalio/activity', '@temporalio/worker', '@temporalio/client'], message: 'not in workflow code' },
            { group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'workflows import only types from activities' },
            { group: ['../db/*', '!../db/message-status', '!../db/conversation-status'], allowTypeImports: true, message: 'workflows may use only types and the pure status rules of db/' },
            { group: ['../api/*', '../scripts/*', '../sandbox/*'], message: 'not in workflow code' },
          ],
        },
      ],
    },
  },
);
