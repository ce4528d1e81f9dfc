"""A small stand-in for clip-as-service's package: the executors Flow files name as modules."""
