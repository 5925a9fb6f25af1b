"""Suppression hygiene (CHR100): `# noqa` comments that no longer suppress anything."""
