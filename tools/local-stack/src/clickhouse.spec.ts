import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderClickHouseConfig } from './clickhouse';
import { parsePasswdLine } from './process';
import { TOOL_ROOT } from './settings';

const template = fs.readFileSync(path.join(TOOL_ROOT, 'clickhouse', 'config.xml'), 'utf8');
const users = fs.readFileSync(path.join(TOOL_ROOT, 'clickhouse', 'users.xml'), 'utf8');

describe('ClickHouse config', () => {
  const rendered = renderClickHouseConfig(template, {
    dir: '/srv/stack/clickhouse/',
    httpPort: 8123,
    tcpPort: 9000,
  });

  it('puts data, tmp and logs under the given directory', () => {
    expect(rendered).toContain('<path>/srv/stack/clickhouse/data/</path>');
    expect(rendered).toContain('<tmp_path>/srv/stack/clickhouse/tmp/</tmp_path>');
    expect(rendered).toContain('<log>/srv/stack/clickhouse/log/clickhouse-server.log</log>');
    expect(rendered).not.toContain('{{');
  });

  it('listens on loopback only, HTTP 8123 and TCP 9000, without an interserver port', () => {
    expect(rendered).toContain('<listen_host>127.0.0.1</listen_host>');
    expect(rendered).toContain('<http_port>8123</http_port>');
    expect(rendered).toContain('<tcp_port>9000</tcp_port>');
    expect(rendered).not.toMatch(/<interserver_http_port>/);
    expect(rendered.match(/<listen_host>/g)).toHaveLength(1);
  });

  it('commits no absolute machine paths', () => {
    for (const text of [template, users]) {
      expect(text).not.toMatch(/\/(work|root|home|var\/lib)\//);
    }
  });

  it('has a default user without password, restricted to loopback', () => {
    expect(users).toMatch(/<default>\s*<password><\/password>/);
    expect(users).toContain('<ip>127.0.0.1</ip>');
    expect(users).not.toContain('::/0');
  });
});

describe('parsePasswdLine', () => {
  it('reads uid, gid and home', () => {
    expect(parsePasswdLine('clickhouse:x:104:107::/var/lib/clickhouse:/bin/false\n')).toEqual({
      uid: 104,
      gid: 107,
      home: '/var/lib/clickhouse',
    });
  });
  it('rejects garbage', () => {
    expect(parsePasswdLine('nope')).toBeNull();
  });
});
