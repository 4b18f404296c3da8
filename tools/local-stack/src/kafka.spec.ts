import {
  detectLoggingVersions,
  parseJavaMajor,
  parseKafkaVersionFromCommandLine,
  parseKafkaVersionFromLog,
  renderPom,
  renderServerProperties,
} from './kafka';

describe('renderServerProperties', () => {
  const props = renderServerProperties({
    host: '127.0.0.1',
    port: 9092,
    controllerPort: 9093,
    dataDir: '/d/kafka/data',
  });
  const map = new Map(
    props
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );

  it('describes a single KRaft node on loopback', () => {
    expect(map.get('process.roles')).toBe('broker,controller');
    expect(map.get('node.id')).toBe('1');
    expect(map.get('controller.quorum.bootstrap.servers')).toBe('127.0.0.1:9093');
    expect(map.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(map.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(map.get('log.dirs')).toBe('/d/kafka/data');
  });

  it('allows transactions and consumer groups on one node', () => {
    expect(map.get('transaction.state.log.replication.factor')).toBe('1');
    expect(map.get('transaction.state.log.min.isr')).toBe('1');
    expect(map.get('offsets.topic.replication.factor')).toBe('1');
    expect(map.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(map.get('auto.create.topics.enable')).toBe('false');
    expect(map.get('num.partitions')).toBe('3');
  });
});

describe('renderPom', () => {
  it('asks for the broker, the tools and the matching log4j2 binding', () => {
    const pom = renderPom({ kafkaVersion: '4.1.1', log4jVersion: '2.24.3', slf4jMajor: 1 });
    expect(pom).toContain('<packaging>pom</packaging>');
    expect(pom).toContain('<artifactId>kafka_2.13</artifactId><version>4.1.1</version>');
    expect(pom).toContain('<artifactId>kafka-tools</artifactId><version>4.1.1</version>');
    expect(pom).toContain('<artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version>');
  });
  it('uses the SLF4J 2 binding when Kafka brings slf4j-api 2', () => {
    expect(renderPom({ kafkaVersion: '9.9.9', log4jVersion: '2.25.0', slf4jMajor: 2 })).toContain(
      'log4j-slf4j2-impl',
    );
  });
});

describe('detectLoggingVersions', () => {
  it('finds log4j-core and the slf4j-api major version', () => {
    expect(
      detectLoggingVersions([
        'kafka_2.13-4.1.1.jar',
        'log4j-core-2.24.3.jar',
        'log4j-api-2.24.3.jar',
        'slf4j-api-1.7.36.jar',
      ]),
    ).toEqual({
      log4j: '2.24.3',
      slf4jMajor: 1,
    });
    expect(detectLoggingVersions(['slf4j-api-2.0.17.jar'])).toEqual({ log4j: null, slf4jMajor: 2 });
  });
});

describe('parseKafkaVersionFromLog', () => {
  it('takes the last reported version', () => {
    const log =
      '[x] INFO Kafka version: 4.0.0 (AppInfoParser)\n...\n[y] INFO Kafka version: 4.1.1 (org.apache.kafka.common.utils.AppInfoParser)\n';
    expect(parseKafkaVersionFromLog(log)).toBe('4.1.1');
    expect(parseKafkaVersionFromLog('nothing')).toBeNull();
  });
});

describe('parseJavaMajor', () => {
  it('reads modern and legacy version strings', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('???')).toBeNull();
  });
});

describe('parseKafkaVersionFromCommandLine', () => {
  it('reads the version from the jar cache path of a broker another checkout started', () => {
    expect(
      parseKafkaVersionFromCommandLine(
        'java -Xmx1g -cp /home/u/.cache/streaming-platform/kafka-4.1.1/libs/* kafka.Kafka',
      ),
    ).toBe('4.1.1');
  });

  it('reads the version from a distribution jar name', () => {
    expect(
      parseKafkaVersionFromCommandLine('java -cp /opt/kafka/libs/kafka_2.13-3.9.0.jar kafka.Kafka'),
    ).toBe('3.9.0');
  });

  it('gives null for a command line without a Kafka jar', () => {
    expect(parseKafkaVersionFromCommandLine('java -jar other.jar')).toBeNull();
  });
});
