"""dfsim's importers and exporters (scripts/import_*, scripts/export_*): shared code.

Each module holds one format; common.py has the error type, the layer builders and the
deterministic network-JSON writer. README.md beside this file has the formats and mappings.
"""
