"""Drift rules (CHR408, CHR409): the models against the schema their migration history
builds, replayed statically by `chronolint.index.history`."""
