import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigError } from './config.error';
import type { LoadedConfig } from './loader';
import {
  InjectPlatformConfig,
  LOADED_PLATFORM_CONFIG,
  PLATFORM_CONFIG,
  PlatformConfigModule,
} from './platform-config.module';
import type { PlatformConfig } from './platform-config.schema';
import { makeConfigTree, type ConfigTree } from './testing/config-tree';

@Injectable()
class NeedsKafka {
  constructor(@InjectPlatformConfig() readonly config: PlatformConfig) {}
}

/** A feature module that does not import the config module: it relies on it being global. */
@Module({ providers: [NeedsKafka], exports: [NeedsKafka] })
class FeatureModule {}

describe(PlatformConfigModule.name, () => {
  let tree: ConfigTree;
  beforeEach(() => {
    tree = makeConfigTree();
  });
  afterEach(() => tree.remove());

  it('loads the config in forRoot and provides it globally under PLATFORM_CONFIG', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformConfigModule.forRoot({
          configDir: tree.configDir,
          env: { PLATFORM__kafka__client_id: 'nest' },
        }),
        FeatureModule,
      ],
    }).compile();
    const config = moduleRef.get<PlatformConfig>(PLATFORM_CONFIG);
    expect(config.kafka.client_id).toBe('nest');
    expect(moduleRef.get(NeedsKafka).config).toBe(config);
    const loaded = moduleRef.get<LoadedConfig>(LOADED_PLATFORM_CONFIG);
    expect(loaded.provenance.get('kafka.client_id')).toBe('env:PLATFORM__kafka__client_id');
    await moduleRef.close();
  });

  it('takes its options from a factory in forRootAsync', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlatformConfigModule.forRootAsync({
          useFactory: async () => ({ configDir: tree.configDir, env: { VERSION: 'v9' } }),
        }),
      ],
    }).compile();
    expect(moduleRef.get<PlatformConfig>(PLATFORM_CONFIG).version).toBe('v9');
    await moduleRef.close();
  });

  it('fails the boot with the full ConfigError when the config is invalid', async () => {
    tree.write('environments/dev.yaml', 'logging:\n  level: loud\n');
    const boot = Test.createTestingModule({
      imports: [PlatformConfigModule.forRoot({ configDir: tree.configDir, env: {} })],
    }).compile();
    await expect(boot).rejects.toBeInstanceOf(ConfigError);
    await expect(boot).rejects.toThrow(
      'Invalid configuration:\n  - logging.level (environments/dev.yaml): expected one of "debug", "info", "warn", "error"',
    );
  });
});
