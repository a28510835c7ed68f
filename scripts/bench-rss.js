// Preloaded by the benchmark into the measured process: reports its peak RSS and CPU time when it exits.
process.on("exit", () => {
  const usage = process.resourceUsage();
  process.stderr.write(`aft-fleet-bench: maxrss_kb=${usage.maxRSS} cpu_us=${usage.userCPUTime + usage.systemCPUTime}\n`);
});
