"""See conformance/tests/plugins/ckantestplugins.py."""
