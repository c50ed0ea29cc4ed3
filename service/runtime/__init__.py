"""The runtime: the serving process (signals, drain, malloc arenas) and the supervisor that forks
the workers before any gRPC or engine object exists."""
