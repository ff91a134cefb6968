"""Node kinds: the base class, the registry and the built-in kinds."""
