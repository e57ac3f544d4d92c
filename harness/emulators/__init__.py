"""Layer 3a: AWS services the harness serves itself, each a package in moto's shape (models = state and
behaviour with no HTTP, responses = the wire protocol, server = the loopback endpoint). They know nothing
of the runtime: a server hands accepted work to whatever sink the runtime attaches."""
