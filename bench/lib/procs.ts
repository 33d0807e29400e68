/**
 * Samples /proc every interval while a phase runs: the resident memory (VmRSS) of each process
 * we started, summed over its process tree, and the CPU time of every process on the machine,
 * attributed to our processes, to PostgreSQL, or to "other" (whatever else runs here, such as
 * another engineer's test suite).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

export interface Role {
  name: string;
  pid: number;
}

export interface RoleUsage {
  /** Peak of the summed VmRSS of the process and its descendants, MiB. */
  peakRssMiB: number;
  cpuSeconds: number;
  /** CPU time over the sampled wall time: 100 = one core busy the whole time. */
  cpuPercent: number;
}

export interface ProcReport {
  durationMs: number;
  cores: number;
  roles: Record<string, RoleUsage>;
  postgres: Omit<RoleUsage, 'peakRssMiB'>;
  other: Omit<RoleUsage, 'peakRssMiB'>;
  /** Whole-machine busy time from /proc/stat, of cores × 100. */
  machineBusyPercent: number;
  /** Of that, time the hypervisor ran something else on our virtual cores (steal), of cores × 100. */
  stealPercent: number;
  /**
   * Time in which every runnable task waited for I/O at once (/proc/pressure/io, "full"), ms; null
   * where the kernel has no pressure stall information. A stall no CPU figure shows.
   */
  ioFullStallMs: number | null;
}

interface PidTicks {
  comm: string;
  ppid: number;
  first: number;
  last: number;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readStat(pid: number): { comm: string; ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // After "pid (comm) ": state ppid ... ; utime and stime are fields 14 and 15 of the whole line.
    return { comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

export function rssKiB(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function machineTicks(): { busy: number; total: number; steal: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const n = values.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = n[3] + n[4];
  return { busy: total - idle, total, steal: n[7] };
}

/** Total µs in which all non-idle tasks stalled on I/O, or null without PSI. */
function ioFullStallMicros(): number | null {
  try {
    const match = /^full .*total=(\d+)/m.exec(readFileSync('/proc/pressure/io', 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function listPids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

export class ProcSampler {
  private readonly pids = new Map<number, PidTicks>();
  private readonly peakRss = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private machineStart = { busy: 0, total: 0, steal: 0 };
  private ioStallStart: number | null = null;

  constructor(
    private readonly roles: Role[],
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    this.machineStart = machineTicks();
    this.ioStallStart = ioFullStallMicros();
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), this.intervalMs);
    this.timer.unref();
  }

  stop(): ProcReport {
    if (this.timer) clearInterval(this.timer);
    this.sample(false);
    const durationMs = Date.now() - this.startedAt;
    const machineEnd = machineTicks();
    const cores = os.cpus().length;
    const seconds = durationMs / 1000;
    const cpu = new Map<string, number>();
    for (const [pid, t] of this.pids) {
      const role = this.roleOf(pid) ?? (t.comm === 'postgres' ? 'postgres' : 'other');
      cpu.set(role, (cpu.get(role) ?? 0) + (t.last - t.first) / TICKS_PER_SECOND);
    }
    const usage = (name: string) => {
      const cpuSeconds = cpu.get(name) ?? 0;
      return { cpuSeconds, cpuPercent: seconds > 0 ? (100 * cpuSeconds) / seconds : 0 };
    };
    const elapsedTicks = Math.max(1, machineEnd.total - this.machineStart.total);
    const busyShare = (machineEnd.busy - this.machineStart.busy) / elapsedTicks;
    const ioStallEnd = ioFullStallMicros();
    return {
      durationMs,
      cores,
      roles: Object.fromEntries(this.roles.map((r) => [r.name, { peakRssMiB: (this.peakRss.get(r.name) ?? 0) / 1024, ...usage(r.name) }])),
      postgres: usage('postgres'),
      other: usage('other'),
      machineBusyPercent: busyShare * cores * 100,
      stealPercent: ((machineEnd.steal - this.machineStart.steal) / elapsedTicks) * cores * 100,
      ioFullStallMs: ioStallEnd === null || this.ioStallStart === null ? null : (ioStallEnd - this.ioStallStart) / 1000,
    };
  }

  /** The nearest role among a process and its ancestors (our children's children count as theirs). */
  private roleOf(pid: number): string | undefined {
    const seen = new Set<number>();
    for (let p = pid; p > 1 && !seen.has(p); p = this.pids.get(p)?.ppid ?? 0) {
      seen.add(p);
      const role = this.roles.find((r) => r.pid === p);
      if (role) return role.name;
    }
    return undefined;
  }

  private sample(initial: boolean): void {
    for (const pid of listPids()) {
      const stat = readStat(pid);
      if (!stat) continue;
      const known = this.pids.get(pid);
      if (known) {
        known.last = stat.ticks;
        known.ppid = stat.ppid;
      } else {
        // A process born during the phase spent all of its CPU time in it.
        this.pids.set(pid, { comm: stat.comm, ppid: stat.ppid, first: initial ? stat.ticks : 0, last: stat.ticks });
      }
    }
    const rssByRole = new Map<string, number>();
    for (const pid of this.pids.keys()) {
      const role = this.roleOf(pid);
      if (role && this.roles.some((r) => r.name === role)) rssByRole.set(role, (rssByRole.get(role) ?? 0) + rssKiB(pid));
    }
    for (const [role, kib] of rssByRole) this.peakRss.set(role, Math.max(this.peakRss.get(role) ?? 0, kib));
  }
}
