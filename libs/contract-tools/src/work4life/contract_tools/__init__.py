"""Generation and compatibility checking of the Work4Life contracts' JSON Schemas."""
