import {
  APP_SECTIONS,
  gatewaySection,
  loadAppSettings,
  readAppSection,
  registrySection,
} from './app-settings';
import { ConfigError } from './config.error';

describe(readAppSection.name, () => {
  it('says which keys came from a variable and which are defaults; blank variables count as unset', () => {
    const { value, sources } = readAppSection(gatewaySection, {
      PORT: ' 9000 ',
      HOST: '',
      GATEWAY_SUBSCRIPTIONS_ENABLED: '0',
    });
    expect(value).toMatchObject({ port: 9000, host: '0.0.0.0', subscriptionsEnabled: false });
    expect(sources).toMatchObject({
      port: 'env:PORT',
      host: 'default',
      subscriptionsEnabled: 'env:GATEWAY_SUBSCRIPTIONS_ENABLED',
    });
  });

  it('fails with one ConfigError whose issues name the section, key, variable and source', () => {
    let error: unknown;
    try {
      readAppSection(registrySection, { PORT: '-1' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'Invalid registry settings:\n  - PORT="-1": must be at least 0',
      issues: [{ path: ['registry', 'port'], source: 'env:PORT' }],
    });
  });

  it('gives every section a variable for each key and valid defaults', () => {
    for (const section of APP_SECTIONS) {
      expect(Object.keys(section.variables).sort()).toEqual(
        Object.keys(section.schema.shape).sort(),
      );
      expect(() => loadAppSettings(section, {})).not.toThrow();
    }
  });
});
