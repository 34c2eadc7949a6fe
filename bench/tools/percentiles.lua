-- wrk -s bench/tools/percentiles.lua: prints req/s, max and p50-p99.99 (ms) on one line when the run ends
done = function(summary, latency, requests)
  local out = {}
  for _, p in ipairs({50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99}) do
    out[#out+1] = string.format("p%s=%.2f", p, latency:percentile(p) / 1000)
  end
  io.write(string.format("rps=%.0f max=%.2f ", summary.requests / (summary.duration / 1e6), latency.max / 1000), table.concat(out, " "), "\n")
end
