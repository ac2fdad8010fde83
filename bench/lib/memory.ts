import { readFileSync } from 'node:fs';

/** VmRSS of a process in MB (1024 × 1024 bytes), or null when it is gone. */
export function residentMb(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's resident memory every second until stopped. */
export function sampleResidentMemory(pid: number, everyMs = 1000): { stop(): number[] } {
  const samples: number[] = [];
  const take = () => {
    const mb = residentMb(pid);
    if (mb !== null) samples.push(mb);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}
