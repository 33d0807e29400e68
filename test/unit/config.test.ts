import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config/env';
import { SANDBOX_DEFAULTS } from '../../sandbox/defaults';

const REPO_ROOT = path.resolve(__dirname, '../..');
const LIVE = {
  PROVIDER_MODE: 'live',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'live-auth-token',
  OMEGA_ADMIN_API_KEY: 'admin-key-0123456789',
  PUBLIC_BASE_URL: 'https://omega.example.com',
};

function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  test('an empty environment gives the local defaults in sandbox mode with a generated admin key', () => {
    const config = loadConfig({});

    expect(config).toMatchObject({
      port: 8000,
      publicBaseUrl: 'http://127.0.0.1:8000',
      providerMode: 'sandbox',
      adminApiKeyGenerated: true,
      temporal: { namespace: 'default', taskQueue: 'omega' },
      twilio: { accountSid: SANDBOX_DEFAULTS.accountSid, authToken: SANDBOX_DEFAULTS.authToken, baseUrl: 'http://127.0.0.1:8025' },
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.temporal.address).toBeUndefined();
    expect(config.adminApiKey.length).toBeGreaterThanOrEqual(32);
  });

  test('each run without OMEGA_ADMIN_API_KEY generates a different admin key', () => {
    expect(loadConfig({}).adminApiKey).not.toBe(loadConfig({}).adminApiKey);
  });

  test('a given admin key is used as is and not flagged as generated', () => {
    const config = loadConfig({ OMEGA_ADMIN_API_KEY: 'admin-key-0123456789' });

    expect(config).toMatchObject({ adminApiKey: 'admin-key-0123456789', adminApiKeyGenerated: false });
  });

  test('the public base URL follows PORT when PUBLIC_BASE_URL is not set', () => {
    expect(loadConfig({ PORT: '9100' }).publicBaseUrl).toBe('http://127.0.0.1:9100');
  });

  test.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['TEMPORAL_ADDRESS', 'nohost'],
    ['PROVIDER_MODE', 'prod'],
    ['TWILIO_ACCOUNT_SID', 'XY'],
    ['OMEGA_ADMIN_API_KEY', 'short'],
    ['PUBLIC_BASE_URL', 'ftp://x'],
    ['SANDBOX_URL', 'nope'],
    ['LOG_LEVEL', 'loud'],
  ])('%s=%s is refused with a ConfigError naming %s', (name, value) => {
    const error = configErrorOf({ [name]: value });

    expect(error.message).toContain(name);
    expect(error.problems).toEqual([expect.stringContaining(name)]);
  });

  test('every bad variable is reported at once', () => {
    const error = configErrorOf({ PORT: 'abc', PROVIDER_MODE: 'prod', PUBLIC_BASE_URL: 'ftp://x' });

    expect(error.problems).toHaveLength(3);
    for (const name of ['PORT', 'PROVIDER_MODE', 'PUBLIC_BASE_URL']) expect(error.message).toContain(name);
  });

  test('live mode without Twilio credentials names each missing one', () => {
    const { TWILIO_ACCOUNT_SID: _sid, TWILIO_AUTH_TOKEN: _token, ...withoutTwilio } = LIVE;

    const error = configErrorOf(withoutTwilio);

    expect(error.message).toContain('TWILIO_ACCOUNT_SID');
    expect(error.message).toContain('TWILIO_AUTH_TOKEN');
    expect(error.problems).toHaveLength(2);
  });

  test('live mode names only the credential that is missing', () => {
    const { TWILIO_AUTH_TOKEN: _token, ...withoutToken } = LIVE;

    const error = configErrorOf(withoutToken);

    expect(error.problems).toEqual([expect.stringContaining('TWILIO_AUTH_TOKEN')]);
  });

  test('an empty Twilio credential counts as missing in live mode', () => {
    const error = configErrorOf({ ...LIVE, TWILIO_AUTH_TOKEN: '   ' });

    expect(error.problems).toEqual([expect.stringContaining('TWILIO_AUTH_TOKEN')]);
  });

  test('live mode with every credential talks to Twilio itself', () => {
    const config = loadConfig(LIVE);

    expect(config.providerMode).toBe('live');
    expect(config.twilio).toMatchObject({ accountSid: LIVE.TWILIO_ACCOUNT_SID, authToken: LIVE.TWILIO_AUTH_TOKEN, baseUrl: undefined });
  });

  test('SANDBOX_URL overrides where the Twilio client sends its requests', () => {
    const config = loadConfig({ SANDBOX_URL: 'http://sandbox.internal:9999' });

    expect(config.twilio.baseUrl).toBe('http://sandbox.internal:9999');
  });

  test('SANDBOX_PORT moves the default sandbox address', () => {
    expect(loadConfig({ SANDBOX_PORT: '9025' }).twilio.baseUrl).toBe('http://127.0.0.1:9025');
  });

  test('trailing slashes are trimmed from PUBLIC_BASE_URL and SANDBOX_URL', () => {
    const config = loadConfig({ PUBLIC_BASE_URL: 'https://omega.example.com//', SANDBOX_URL: 'http://127.0.0.1:8025/' });

    expect(config.publicBaseUrl).toBe('https://omega.example.com');
    expect(config.twilio.baseUrl).toBe('http://127.0.0.1:8025');
  });
});

describe('scripts/api.ts', () => {
  test('a bad PORT stops the API at start with a non-zero exit and a message naming PORT', async () => {
    const child = spawn('npx', ['tsx', 'scripts/api.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: 'abc' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const exitCode = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`scripts/api.ts did not exit within 30 s; output so far:\n${output}`));
      }, 30_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });

    expect(exitCode).not.toBe(0);
    expect(exitCode).not.toBeNull();
    expect(output).toMatch(/invalid configuration/);
    expect(output).toMatch(/PORT: /);
  });
});
