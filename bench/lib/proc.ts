/**
 * What the kernel says about a process: resident memory (/proc/<pid>/status)
 * and CPU time (/proc/<pid>/stat). Read from outside, so measuring costs the
 * measured process nothing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

let clkTck: number | undefined;
/** Kernel clock ticks per second (the unit of utime/stime in /proc/<pid>/stat). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** VmRSS of the process in bytes. */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** User + system CPU time of the process, in milliseconds. */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after its closing ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the full line (utime, stime) are 12 and 13 here.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicks();
}

/** Measures a process's CPU over a window: percent of one core. */
export class CpuWindow {
  private readonly startCpu: number;
  private readonly startWall = performance.now();
  constructor(private readonly pid: number) {
    this.startCpu = cpuMs(pid);
  }
  /** CPU milliseconds used since the window opened. */
  usedMs(): number {
    return cpuMs(this.pid) - this.startCpu;
  }
  percent(): number {
    const wall = performance.now() - this.startWall;
    return wall > 0 ? ((cpuMs(this.pid) - this.startCpu) / wall) * 100 : 0;
  }
}

export function nofileLimit(): number {
  try {
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(limits);
    if (m && m[1] !== 'unlimited') return Number(m[1]);
  } catch {
    // Not Linux: fall through.
  }
  return 1_048_576;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    node: process.version,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    nofileLimit: nofileLimit(),
  };
}

export interface Contention {
  /** 1-minute load average of the whole machine. */
  loadAvg1: number;
  /** Share of the last 60 s in which some runnable task waited for a CPU (PSI), percent. */
  cpuPressureAvg60: number | null;
}

/**
 * How busy the machine is outside our control (other people's builds and tests share
 * these cores): recorded around every part so a noisy run can be recognised.
 */
export function contention(): Contention {
  let cpuPressureAvg60: number | null = null;
  try {
    const m = /^some .*avg60=([\d.]+)/m.exec(fs.readFileSync('/proc/pressure/cpu', 'utf8'));
    if (m) cpuPressureAvg60 = Number(m[1]);
  } catch {
    // No PSI on this kernel.
  }
  return { loadAvg1: Math.round(os.loadavg()[0]! * 100) / 100, cpuPressureAvg60 };
}
