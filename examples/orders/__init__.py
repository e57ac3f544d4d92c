"""The example pipeline's handlers (see examples/topology.yaml)."""
