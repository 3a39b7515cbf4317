/**
 * `peoplebook-proxy` as an operator meets it: --help for every command, configuration errors that name the
 * variable, and `doctor` walking a working and a broken setup against the emulator.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { emulatorEnv, envTenant } from '../helpers/proxy.ts';

const CLI = path.resolve('bin/peoplebook-proxy.js');

function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('peoplebook-proxy --help', () => {
  it('lists the commands and every configuration variable', async () => {
    const { code, stdout } = await run(['--help'], {});
    expect(code).toBe(0);
    for (const command of ['serve', 'sync --once', 'export --format json|vcf', 'doctor']) expect(stdout).toContain(`peoplebook-proxy ${command}`);
    for (const variable of ['PORT', 'DATABASE_URL', 'PEOPLEBOOK_SECRET_KEY', 'PEOPLEBOOK_CLOUD', 'PEOPLEBOOK_TENANT_ID', 'PEOPLEBOOK_ALLOWED_ORIGINS']) expect(stdout).toContain(variable);
  });

  it.each(['serve', 'sync', 'export', 'doctor'])('explains %s', async (command) => {
    const { code, stdout } = await run([command, '--help'], {});
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^peoplebook-proxy ${command}`));
    expect(stdout.split('\n').length).toBeGreaterThan(2);
  });

  it('refuses an unknown command or flag with a pointer to --help', async () => {
    const unknown = await run(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    const flag = await run(['sync', '--twice'], {});
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--help');
  });

  it('stops on bad configuration naming each variable, and never echoes a secret', async () => {
    const { code, stderr } = await run(['sync', '--once'], { PORT: 'eighty', PEOPLEBOOK_CLOUD: 'mars', PEOPLEBOOK_CLIENT_SECRET: 'hunter2-very-secret' });
    expect(code).toBe(2);
    expect(stderr).toContain('PORT must be a whole number');
    expect(stderr).toContain('PEOPLEBOOK_CLOUD');
    expect(stderr).not.toContain('hunter2-very-secret');
  });
});

describe('peoplebook-proxy doctor', () => {
  let emulator: Emulator;
  let dir: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 60, adminConsent: true });
    dir = await mkdtemp(path.join(os.tmpdir(), 'pb-doctor-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every step of a working application-mode setup', async () => {
    const { code, stdout } = await run(['doctor'], { ...emulatorEnv(emulator, dir, 8787), ...envTenant(emulator) });
    expect(stdout).not.toContain('FAIL');
    for (const step of ['configuration', 'secret key and database', 'sign-in endpoint', 'environment tenant', 'app, secret and token', 'Graph permission User.Read.All']) {
      expect(stdout).toMatch(new RegExp(`PASS  ${step.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    expect(code).toBe(0);
  });

  it('fails at the secret with its AADSTS code and the step that fixes it', async () => {
    const { code, stdout } = await run(['doctor'], { ...emulatorEnv(emulator, dir, 8787), ...envTenant(emulator), PEOPLEBOOK_CLIENT_SECRET: emulator.tenants[0]!.expiredClientSecret });
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL {2}app, secret and token: .*AADSTS7000222/);
    expect(stdout).toMatch(/fix: .*New client secret/);
    expect(stdout).not.toContain(emulator.tenants[0]!.expiredClientSecret);
  });

  it('fails at the permission when admin consent was never granted', async () => {
    await fetch(`${emulator.controlUrl}/tenants/${emulator.tenantId}/consent/${emulator.clientId}`, { method: 'DELETE' });
    const { code, stdout } = await run(['doctor'], { ...emulatorEnv(emulator, dir, 8787), ...envTenant(emulator) });
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL {2}Graph permission User\.Read\.All/);
    expect(stdout).toMatch(/fix: .*Grant admin consent/);
  });
});
