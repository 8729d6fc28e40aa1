"""The YAML menu engine: schema, loader with whole-graph checks, and a pure step function."""
