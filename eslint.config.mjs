import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

// kafkajs stays behind @platform/messaging (docs/adr/0003): everything else uses its Kafka
// client port (KafkaClient, KafkaConsumer, ...). Blocks that set no-restricted-imports again
// must repeat it, since the last block's options replace earlier ones.
const kafkajsBehindMessaging = {
  name: 'kafkajs',
  message:
    'Only @platform/messaging imports kafkajs: use its Kafka client port (KafkaClient, KafkaConsumer, KafkaProducer, KafkaAdmin, ...).',
};

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  prettier,
  {
    ignores: ['**/node_modules', '**/dist', '**/coverage', '.stack', '.nx', 'tmp'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    rules: {
      // Arrows point one way: apps use libs; I/O libs use pure libs; pure libs use only pure libs.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:data-access'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:util', 'type:data-access'] },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: ['type:util', 'type:data-access'],
            },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
          ],
        },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['libs/messaging/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [kafkajsBehindMessaging] }] },
  },
  {
    // Observability is the bottom lib: every other lib logs, measures and retries through it,
    // so it imports none of them (tests may load the config to reach the local stack), but
    // for the pure secret-scrub beneath it.
    files: ['libs/observability/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [kafkajsBehindMessaging],
          patterns: [
            {
              group: ['@platform/*', '!@platform/secret-scrub'],
              message:
                '@platform/observability depends on no other platform lib (but @platform/secret-scrub).',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests reshape loose fixtures on purpose.
    files: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Command-line entry points, tools and benches talk to a terminal on purpose.
    files: ['**/cli.ts', '**/cli/**/*.ts', 'tools/**/*.ts', '**/bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
];
