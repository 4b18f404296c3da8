import { ConfigError } from './config.error';
import { parseYamlText } from './yaml-file';

describe(parseYamlText.name, () => {
  const refusal = (text: string): ConfigError => {
    try {
      parseYamlText(text, 'domains/x.yaml');
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('accepted');
  };

  it('refuses an anchor that holds an alias to itself, naming the file', () => {
    const error = refusal('entities: &e\n  user:\n    key: user_id\n    extra: *e\n');
    expect(error.code).toBe('CONFIG_YAML_MALFORMED');
    expect(error.message).toMatch(/^Malformed YAML in domains\/x\.yaml: /);
  });

  it('refuses an alias bomb, naming the file', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const error = refusal(`${levels.join('\n')}\n`);
    expect(error.code).toBe('CONFIG_YAML_MALFORMED');
    expect(error.message).toMatch(/^Malformed YAML in domains\/x\.yaml: .*alias/i);
  });

  it('takes aliases that do not refer to themselves', () => {
    expect(parseYamlText('base: &b { n: 1 }\nuse: *b\n', 'x.yaml')).toEqual({
      base: { n: 1 },
      use: { n: 1 },
    });
  });
});
