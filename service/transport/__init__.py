"""The transport: the gRPC server factory, the servicer, the status table, the codec between wire
messages and the domain, the interceptors and the health-check client. It only translates: the
domain decides."""
