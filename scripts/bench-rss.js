// Preloaded by the benchmark into the synth process: reports its peak RSS when it exits.
process.on("exit", () => {
  process.stderr.write(`aft-fleet-bench: maxrss_kb=${process.resourceUsage().maxRSS}\n`);
});
