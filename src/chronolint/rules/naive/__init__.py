"""Naive-datetime rules (CHR001–CHR011): calls and values that produce naive datetimes."""
