"""What several test modules share: case tables, servers in subprocesses, certificates, the
reference engine, text scoring and the fuzzer. Benchmarks may use it; no test imports bench/."""
