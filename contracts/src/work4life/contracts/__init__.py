"""Work4Life event contracts: schemas only.

- `envelope`: the envelope every event travels in, and the header names.
- `intake` (and one module per producing service): the event payloads, each with its wire name
  and schema version.
- `topics`: the catalogue of topics: name, key, value models and the one producing service.

No behaviour, no settings, no database: a partner can depend on this package alone.
"""

CONTRACTS_VERSION = "1.2.0"
