"""Running the system: the engine environment's commands, model training with a content-hash
cache, and the process supervisor behind `hotline up`."""
