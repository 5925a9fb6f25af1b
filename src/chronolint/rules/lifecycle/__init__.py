"""`updated_at` lifecycle rules (CHR201–CHR204): writes that leave `updated_at` stale."""
