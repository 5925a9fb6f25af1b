"""ORM timestamp-column rules (CHR101–CHR104): how models declare their timestamps."""
