"""`updated_at` lifecycle rules (CHR201–CHR205): writes that leave `updated_at` stale."""
