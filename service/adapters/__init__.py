"""The adapters: the durable-rules engine (the only durable import), the rules files (YAML, with
lines), the English word list. They implement what the domain needs; no gRPC."""
